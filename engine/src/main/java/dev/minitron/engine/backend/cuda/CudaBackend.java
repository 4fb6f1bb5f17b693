package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.DeviceSampling;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.backend.cpu.Rope;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.DType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * {@code NemotronForCausalLM} on one NVIDIA GPU: bf16 (or the checkpoint's f16/f32) weights uploaded
 * once, cuBLAS for the projections and lm_head (fp32 accumulation and outputs), our kernels
 * ({@code engine/src/main/cuda}) for embedding, LayerNorm1P, partial RoPE fused with the paged KV
 * write, paged attention and relu², and the sampler on the GPU. Decode steps replay a CUDA graph per
 * batch bucket. Only the engine thread calls {@link #forward} / {@link #forwardAndSample}.
 */
public final class CudaBackend implements Backend, DeviceSampling {

    private static final System.Logger LOG = System.getLogger(CudaBackend.class.getName());

    /** Decode attention partition for batches too small to fill the GPU at the default 512. */
    static final int SMALL_BATCH_PARTITION = 128;

    private final CudaContext ctx;
    private final Checkpoint checkpoint;
    private final ModelConfig config;
    private final DeviceWeights weights;
    private final Cublas blas;
    private final DType dtype;
    private final int maxPositions;
    private final DeviceMemory cosTable;
    private final DeviceMemory sinTable;
    private final Kernel embed;
    private final Kernel layernorm;
    private final Kernel ropeKv;
    private final Kernel relu2;
    private final Kernel attnDecode;
    private final Kernel attnReduce;
    private final Kernel attnPrefill;
    private final DeviceSampler sampler;
    private final boolean useGraphs;
    private final DecodeGraphs graphs;
    private StepBuffers buf;
    private DeviceMemory[] kCache = new DeviceMemory[0];
    private DeviceMemory[] vCache = new DeviceMemory[0];
    private int numBlocks;
    private int blockSize;
    private int maxBlocksPerSeq;

    /** Options: which GPU, and whether decode steps use CUDA graphs. */
    public record Options(int device, boolean cudaGraphs) {
        public static Options defaults() {
            return new Options(Integer.getInteger("minitron.cuda.device", 0),
                    !Boolean.getBoolean("minitron.cuda.noGraphs"));
        }
    }

    private CudaBackend(CudaContext ctx, Checkpoint checkpoint, Options options) {
        this.ctx = ctx;
        this.checkpoint = checkpoint;
        this.config = checkpoint.config();
        this.useGraphs = options.cudaGraphs();
        this.graphs = new DecodeGraphs(useGraphs);
        this.weights = DeviceWeights.upload(checkpoint);
        this.dtype = weights.dtype;
        String sfx = switch (dtype) {
            case BF16 -> "_bf16";
            case F16 -> "_f16";
            case F32 -> "_f32";
        };
        String arch = ctx.arch();
        CudaModules embedding = CudaModules.load("embedding", arch);
        CudaModules norm = CudaModules.load("layernorm", arch);
        CudaModules rope = CudaModules.load("rope_kv", arch);
        CudaModules activation = CudaModules.load("activation", arch);
        CudaModules attention = CudaModules.load("attention", arch);
        this.embed = embedding.kernel("embed" + sfx);
        this.layernorm = norm.kernel("layernorm1p" + sfx);
        this.ropeKv = rope.kernel("rope_kv_write" + sfx);
        this.relu2 = activation.kernel("relu2" + sfx);
        this.attnDecode = attention.kernel("paged_attention_decode" + sfx);
        this.attnReduce = attention.kernel("paged_attention_reduce" + sfx);
        this.attnPrefill = attention.kernel("paged_attention_prefill" + sfx);
        this.sampler = loadSampler(arch, config.vocabSize());
        this.blas = new Cublas(ctx.stream(), dtype);
        this.maxPositions = config.maxPositionEmbeddings();
        int[] positions = new int[maxPositions];
        for (int i = 0; i < maxPositions; i++) {
            positions[i] = i;
        }
        Rope.Angles angles = new Rope(config.rotaryDim(), config.ropeTheta(), dtype).angles(positions);
        int half = config.rotaryDim() / 2;
        this.cosTable = DeviceMemory.allocate((long) maxPositions * half * 4);
        this.sinTable = DeviceMemory.allocate((long) maxPositions * half * 4);
        cosTable.copyFrom(angles.cos(), angles.cos().length, 0);
        sinTable.copyFrom(angles.sin(), angles.sin().length, 0);
        ctx.synchronize(); // the uploads above have landed before any kernel on our non-blocking stream reads them
        LOG.log(System.Logger.Level.INFO, () -> String.format(
                "cuda backend: %s on %s; %s weights %d MiB; kernels from %s; cuBLAS %d; graphs %s",
                checkpoint.directory(), ctx, dtype, weights.bytes() >> 20, embedding.origin(), blas.version(),
                useGraphs ? "on" : "off"));
    }

    /** The GPU sampler, or null (the engine then samples on the host) when its module cannot be loaded. */
    private static DeviceSampler loadSampler(String arch, int vocab) {
        try {
            return new DeviceSampler(CudaModules.load("sampling", arch).kernel("sample_rows"), vocab);
        } catch (CudaUnavailableException | CudaException e) {
            LOG.log(System.Logger.Level.WARNING, "cuda backend: no GPU sampler ({0}); sampling on the host", e.getMessage());
            return null;
        }
    }

    @Override
    public boolean samplesOnDevice() {
        return sampler != null;
    }

    /** Opens the checkpoint on the default GPU ({@code -Dminitron.cuda.device}, 0). */
    public static CudaBackend load(Path checkpointDir) {
        return load(checkpointDir, Options.defaults());
    }

    public static CudaBackend load(Path checkpointDir, Options options) {
        CudaContext ctx = CudaContext.open(options.device());
        Checkpoint checkpoint = null;
        try {
            long start = System.nanoTime();
            checkpoint = Checkpoint.open(checkpointDir);
            CudaBackend b = new CudaBackend(ctx, checkpoint, options);
            LOG.log(System.Logger.Level.INFO, "cuda backend loaded in {0} ms", (System.nanoTime() - start) / 1_000_000);
            return b;
        } catch (RuntimeException | Error e) {
            if (checkpoint != null) {
                checkpoint.close();
            }
            ctx.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public ModelConfig modelConfig() {
        return config;
    }

    public CudaContext context() {
        return ctx;
    }

    /** Bytes of weights on the device. */
    public long weightBytes() {
        return weights.bytes();
    }

    /** Decode steps replayed from a CUDA graph, and steps run kernel by kernel. */
    public long graphReplays() {
        return graphs.replays();
    }

    public long eagerSteps() {
        return graphs.eagerSteps();
    }

    @Override
    public long kvBytesPerBlock(int blockSize) {
        return (long) config.numHiddenLayers() * 2 * blockSize * config.kvSize() * dtype.byteSize();
    }

    @Override
    public OptionalLong deviceKvBytes(double gpuMemoryUtilization, int maxNumBatchedTokens, int maxNumSeqs) {
        ctx.makeCurrent();
        reserve(maxNumBatchedTokens, maxNumSeqs, Math.max(maxNumSeqs, 1));
        long total = ctx.totalMemoryBytes();
        long used = total - ctx.freeMemoryBytes(); // weights, step buffers, cuBLAS, context, other processes
        long budget = (long) (gpuMemoryUtilization * total) - used;
        LOG.log(System.Logger.Level.INFO, () -> String.format(
                "cuda memory: %d MiB total, %d MiB in use after weights (%d MiB) and step buffers for %d tokens (%d MiB); "
                        + "KV budget at gpuMemoryUtilization %.2f: %d MiB", total >> 20, used >> 20, weights.bytes() >> 20,
                maxNumBatchedTokens, buf.deviceBytes() >> 20, gpuMemoryUtilization, budget >> 20));
        if (budget <= 0) {
            throw new IllegalArgumentException("no device memory left for the KV cache: " + (used >> 20) + " MiB in use of "
                    + (total >> 20) + " MiB, gpuMemoryUtilization " + gpuMemoryUtilization
                    + "; raise gpuMemoryUtilization or lower maxNumBatchedTokens");
        }
        return OptionalLong.of(budget);
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        ctx.makeCurrent();
        freeKv();
        graphs.clear();
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.maxBlocksPerSeq = (maxPositions + blockSize - 1) / blockSize;
        if (buf != null && buf.maxBlocksPerSeq != maxBlocksPerSeq) {
            // the profiling pass guessed 16-token blocks: same sizes, another table stride
            StepBuffers old = buf;
            old.close();
            buf = new StepBuffers(config, dtype, old.tokens, old.seqs, old.rows, maxBlocksPerSeq, old.partialSlots);
        }
        long perLayer = (long) numBlocks * blockSize * config.kvSize() * dtype.byteSize();
        int layers = config.numHiddenLayers();
        DeviceMemory[] k = new DeviceMemory[layers];
        DeviceMemory[] v = new DeviceMemory[layers];
        try {
            for (int l = 0; l < layers; l++) {
                k[l] = DeviceMemory.allocate(perLayer);
                v[l] = DeviceMemory.allocate(perLayer);
            }
        } catch (RuntimeException e) {
            for (int l = 0; l < layers; l++) {
                if (k[l] != null) {
                    k[l].close();
                }
                if (v[l] != null) {
                    v[l].close();
                }
            }
            throw e;
        }
        kCache = k;
        vCache = v;
    }

    @Override
    public float[][] forward(ForwardBatch batch) {
        int rows = run(batch);
        int vocab = config.vocabSize();
        int wanted = batch.logitsIndices().length;
        float[] flat = new float[wanted * vocab];
        ctx.stream().synchronize(); // a synchronous copy does not wait for a non-blocking stream
        buf.logits.copyTo(flat, flat.length, 0);
        float[][] out = new float[wanted][];
        for (int i = 0; i < wanted; i++) {
            out[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        assert rows >= wanted;
        return out;
    }

    @Override
    public SampledTokens forwardAndSample(ForwardBatch batch, SamplingRow[] rows) {
        if (rows.length != batch.logitsIndices().length) {
            throw new IllegalArgumentException(rows.length + " sampling rows for " + batch.logitsIndices().length + " logits rows");
        }
        if (sampler == null) {
            throw new IllegalStateException("this backend has no GPU sampler (samplesOnDevice() is false)");
        }
        run(batch);
        if (rows.length == 0) {
            ctx.stream().synchronize();
            return new SampledTokens(new int[0], new dev.minitron.engine.sample.TokenLogprobs[0]);
        }
        return sampler.sample(ctx.stream(), buf.logits.ptr(), config.vocabSize(), rows);
    }

    /** Enqueues the model over {@code batch}; returns how many logits rows were computed (≥ those asked). */
    private int run(ForwardBatch batch) {
        if (kCache.length == 0) {
            throw new IllegalStateException("allocateKvCache must be called before forward");
        }
        ctx.makeCurrent();
        // The previous step must be done with the pinned metadata buffer before it is rewritten (a
        // no-op after the usual step, which ends with a synchronize; it matters after a failed one).
        ctx.stream().synchronize();
        StepInput in = StepInput.of(batch, config.vocabSize(), numBlocks, blockSize, maxBlocksPerSeq, maxPositions);
        int bucket = in.isPureDecode()
                ? graphs.bucketFor(in.numSeqs(), buf == null ? 256 : Math.min(buf.seqs, buf.tokens)) : -1;
        int n = bucket > 0 ? bucket : in.numTokens();
        int seqs = bucket > 0 ? bucket : in.numSeqs();
        int rows = bucket > 0 ? bucket : in.numRows();
        reserve(n, seqs, rows);
        MetaLayout layout = MetaLayout.of(n, seqs, rows, maxBlocksPerSeq);
        ByteBuffer host = buf.metaHost.view();
        in.write(host, layout, n, seqs, rows);
        Cuda.copyPinnedToDeviceAsync(buf.metaHost, 0, buf.meta.ptr(), (long) layout.totalInts() * 4, ctx.stream());
        Step step = new Step(layout, n, seqs, rows, in.maxQueryLen());
        graphs.run(ctx.stream(), bucket, () -> enqueueModel(step));
        return rows;
    }

    /** The shape of one enqueued step. */
    private record Step(MetaLayout layout, int n, int seqs, int rows, int maxQueryLen) {
    }

    /** Enqueues every kernel and GEMM of one step on the stream (no host synchronization: graph-capturable). */
    private void enqueueModel(Step s) {
        CudaStream st = ctx.stream();
        long meta = buf.meta.ptr();
        long tokenIds = meta + 4L * s.layout().tokenIds();
        long positions = meta + 4L * s.layout().positions();
        long slots = meta + 4L * s.layout().slotMapping();
        long qsl = meta + 4L * s.layout().queryStartLoc();
        long seqLens = meta + 4L * s.layout().seqLens();
        long rowsIdx = meta + 4L * s.layout().logitsIndices();
        long tables = meta + 4L * s.layout().blockTables();
        int n = s.n();
        int hidden = config.hiddenSize();
        int heads = config.numAttentionHeads();
        int kvHeads = config.numKeyValueHeads();
        int headDim = config.headDim();
        int qSize = config.qSize();
        int qkvStride = qSize + 2 * config.kvSize();
        int inter = config.intermediateSize();
        float eps = (float) config.normEps();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        AttentionPlan plan = AttentionPlan.of(s.seqs(), s.maxQueryLen(), maxPositions, heads, kvHeads, headDim, blockSize,
                decodePartitionSize(s.seqs()));
        embed.launch(st, Dim3.of(n), Dim3.of(256), 0, weights.embed, tokenIds, buf.h, n, hidden);
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            DeviceWeights.Layer w = weights.layers.get(l);
            layernorm.launch(st, Dim3.of(n), Dim3.of(256), 0, buf.h, w.inputNorm().gamma(), w.inputNorm().beta(), buf.x,
                    0L, n, hidden, eps);
            blas.linear(w.qkv().ptr(), buf.x.ptr(), buf.qkv.ptr(), n, qkvStride, hidden, false);
            ropeKv.launch(st, Dim3.of(n), Dim3.of(128), 0, buf.qkv, qkvStride, positions, slots, cosTable, sinTable,
                    config.rotaryDim() / 2, kCache[l], vCache[l], n, heads, kvHeads, headDim);
            if (plan.decode()) {
                attnDecode.launch(st, plan.grid(), AttentionPlan.BLOCK, 0, buf.qkv, qkvStride, kCache[l], vCache[l],
                        tables, maxBlocksPerSeq, seqLens, s.seqs(), heads, kvHeads, headDim, blockSize, scale,
                        plan.partitionSize(), plan.maxPartitions(), buf.partialOut, buf.partialMax, buf.partialSum);
                attnReduce.launch(st, plan.reduceGrid(), AttentionPlan.BLOCK, 0, buf.partialOut, buf.partialMax,
                        buf.partialSum, seqLens, s.seqs(), heads, headDim, plan.partitionSize(), plan.maxPartitions(), buf.attn);
            } else {
                attnPrefill.launch(st, plan.grid(), AttentionPlan.BLOCK, 0, buf.qkv, qkvStride, kCache[l], vCache[l],
                        tables, maxBlocksPerSeq, seqLens, qsl, s.seqs(), heads, kvHeads, headDim, blockSize, scale, buf.attn);
            }
            blas.linear(w.o().ptr(), buf.attn.ptr(), buf.h.ptr(), n, hidden, qSize, true);
            layernorm.launch(st, Dim3.of(n), Dim3.of(256), 0, buf.h, w.postNorm().gamma(), w.postNorm().beta(), buf.x,
                    0L, n, hidden, eps);
            blas.linear(w.up().ptr(), buf.x.ptr(), buf.up.ptr(), n, inter, hidden, false);
            long count = (long) n * inter;
            relu2.launch(st, Dim3.of((int) Math.min((count + 255) / 256, 65535)), Dim3.of(256), 0, buf.up, buf.act, count);
            blas.linear(w.down().ptr(), buf.act.ptr(), buf.h.ptr(), n, hidden, inter, true);
        }
        if (s.rows() == 0) {
            return; // a step of prompt chunks only: nothing samples, no logits
        }
        layernorm.launch(st, Dim3.of(s.rows()), Dim3.of(256), 0, buf.h, weights.finalNorm.gamma(), weights.finalNorm.beta(),
                buf.x, rowsIdx, s.rows(), hidden, eps);
        blas.linear(weights.lmHead.ptr(), buf.x.ptr(), buf.logits.ptr(), s.rows(), config.vocabSize(), hidden, false);
    }

    /**
     * Context tokens per decode attention block. Few sequences give too few blocks to fill the GPU
     * at 512 (measured on an H200, batch 1, context 1024: 55.5 µs per layer at 512, 19.3 µs at 128;
     * at batch 64 and 256 the two are within 6 %), so small batches split their context finer.
     */
    int decodePartitionSize(int numSeqs) {
        return (long) numSeqs * config.numKeyValueHeads() <= ctx.multiprocessorCount() ? SMALL_BATCH_PARTITION
                : AttentionPlan.DEFAULT_PARTITION_SIZE;
    }

    /** Workspace slots of the split decode attention for up to {@code seqs} sequences, at either partition size. */
    private long partialSlots(int seqs) {
        int smallSeqs = Math.max(1, ctx.multiprocessorCount() / config.numKeyValueHeads());
        long coarse = (long) seqs * ceilDiv(maxPositions, AttentionPlan.DEFAULT_PARTITION_SIZE);
        long fine = (long) Math.min(seqs, smallSeqs) * ceilDiv(maxPositions, SMALL_BATCH_PARTITION);
        return config.numAttentionHeads() * Math.max(coarse, fine);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Makes sure the step buffers hold a step of this size; growing them drops the captured graphs. */
    private void reserve(int tokens, int seqs, int rows) {
        if (buf != null && buf.fits(tokens, seqs, rows)) {
            return;
        }
        int t = Math.max(tokens, buf == null ? 0 : buf.tokens);
        int s = Math.max(seqs, buf == null ? 0 : buf.seqs);
        int r = Math.max(rows, buf == null ? 0 : buf.rows);
        int mbps = maxBlocksPerSeq > 0 ? maxBlocksPerSeq : (maxPositions + 15) / 16;
        graphs.clear();
        if (buf != null) {
            ctx.stream().synchronize();
            buf.close();
        }
        buf = new StepBuffers(config, dtype, t, s, r, mbps, partialSlots(s));
    }

    private void freeKv() {
        for (DeviceMemory m : kCache) {
            m.close();
        }
        for (DeviceMemory m : vCache) {
            m.close();
        }
        kCache = new DeviceMemory[0];
        vCache = new DeviceMemory[0];
    }

    @Override
    public void close() {
        try {
            ctx.makeCurrent();
            ctx.stream().synchronize();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cuda backend: the stream had failed before close: {0}", e.getMessage());
        }
        graphs.clear();
        freeKv();
        if (buf != null) {
            buf.close();
        }
        if (sampler != null) {
            sampler.close();
        }
        blas.close();
        cosTable.close();
        sinTable.close();
        weights.close();
        checkpoint.close();
        ctx.close();
    }
}
