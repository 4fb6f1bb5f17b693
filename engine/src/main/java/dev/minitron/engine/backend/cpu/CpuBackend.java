package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.io.Checkpoint;
import java.lang.System.Logger.Level;
import java.nio.file.Path;

/**
 * {@code NemotronForCausalLM} on the CPU: weights stay memory-mapped in the checkpoint (BF16, F16
 * or F32), activations and the paged KV cache are fp32, and matmuls run on the backend's own
 * threads. Only the engine thread calls {@link #forward}.
 */
public final class CpuBackend implements Backend {

    private static final System.Logger LOG = System.getLogger(CpuBackend.class.getName());

    private final Checkpoint checkpoint;
    private final ModelConfig config;
    private final NemotronWeights weights;
    private final Parallel parallel;
    private final Matmul matmul;
    private final Rope rope;
    private final PagedAttention attention;
    private PagedKvCache cache;

    private CpuBackend(Checkpoint checkpoint, int threads) {
        this.checkpoint = checkpoint;
        this.config = checkpoint.config();
        this.weights = NemotronWeights.load(checkpoint);
        this.parallel = new Parallel(threads);
        this.matmul = new Matmul(parallel);
        this.rope = new Rope(config.rotaryDim(), config.ropeTheta(), weights.activationDtype());
        this.attention = new PagedAttention(config, parallel);
    }

    /** Opens the checkpoint in {@code checkpointDir} and runs on {@code threads} worker threads. */
    public static CpuBackend load(Path checkpointDir, int threads) {
        long start = System.nanoTime();
        Checkpoint checkpoint = Checkpoint.open(checkpointDir);
        try {
            CpuBackend backend = new CpuBackend(checkpoint, threads);
            LOG.log(Level.INFO, () -> String.format("cpu backend: %s (%d layers, hidden %d) mapped in %d ms, %d threads",
                    checkpointDir, backend.config.numHiddenLayers(), backend.config.hiddenSize(),
                    (System.nanoTime() - start) / 1_000_000, threads));
            return backend;
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** {@link #load(Path, int)} on every available core. */
    public static CpuBackend load(Path checkpointDir) {
        return load(checkpointDir, Runtime.getRuntime().availableProcessors());
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public ModelConfig modelConfig() {
        return config;
    }

    @Override
    public long kvBytesPerBlock(int blockSize) {
        return (long) config.numHiddenLayers() * 2 * blockSize * config.kvSize() * Float.BYTES;
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        cache = null;
        cache = new PagedKvCache(config.numHiddenLayers(), numBlocks, blockSize, config.kvSize());
    }

    @Override
    public float[][] forward(ForwardBatch batch) {
        if (cache == null) {
            throw new IllegalStateException("allocateKvCache must be called before forward");
        }
        int[] seqOfToken = BatchCheck.seqOfToken(batch, cache, config.vocabSize());
        int n = batch.numTokens();
        float[] h = embed(batch.tokenIds());
        Rope.Angles angles = rope.angles(batch.positions());
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            LayerWeights w = weights.layers().get(layer);
            addInPlace(h, attention(w, layer, w.inputLayernorm().apply(h, n), angles, batch, seqOfToken));
            addInPlace(h, mlp(w, w.postAttentionLayernorm().apply(h, n), n));
        }
        return logits(h, batch.logitsIndices());
    }

    private float[] embed(int[] tokenIds) {
        int hidden = config.hiddenSize();
        float[] h = new float[tokenIds.length * hidden]; // [n, hidden]
        for (int t = 0; t < tokenIds.length; t++) {
            weights.embedTokens().readRow(tokenIds[t], h, t * hidden);
        }
        return h;
    }

    private float[] attention(LayerWeights w, int layer, float[] x, Rope.Angles angles, ForwardBatch batch, int[] seqOfToken) {
        int n = batch.numTokens();
        float[][] qkv = matmul.apply(w.qkvProj(), x, n);
        float[] q = qkv[0]; // [n, heads, headDim]
        float[] k = qkv[1]; // [n, kvHeads, headDim]
        float[] v = qkv[2]; // [n, kvHeads, headDim]
        rope.apply(q, n, config.numAttentionHeads(), config.headDim(), angles);
        rope.apply(k, n, config.numKeyValueHeads(), config.headDim(), angles);
        cache.write(layer, k, v, batch.slotMapping());
        float[] o = attention.apply(q, cache, layer, batch, seqOfToken);
        return matmul.apply(w.oProj(), o, n);
    }

    private float[] mlp(LayerWeights w, float[] x, int n) {
        float[] up = matmul.apply(w.upProj(), x, n); // [n, intermediate]
        for (int i = 0; i < up.length; i++) {
            float r = Math.max(up[i], 0f);
            up[i] = r * r;
        }
        return matmul.apply(w.downProj(), up, n);
    }

    /** Final norm and lm_head, only for the rows whose logits are wanted. */
    private float[][] logits(float[] h, int[] rows) {
        int hidden = config.hiddenSize();
        int vocab = config.vocabSize();
        float[] picked = new float[rows.length * hidden];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(h, rows[i] * hidden, picked, i * hidden, hidden);
        }
        float[] flat = matmul.apply(weights.lmHead(), weights.norm().apply(picked, rows.length), rows.length);
        float[][] out = new float[rows.length][vocab];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(flat, i * vocab, out[i], 0, vocab);
        }
        return out;
    }

    private static void addInPlace(float[] h, float[] delta) {
        for (int i = 0; i < h.length; i++) {
            h[i] += delta[i];
        }
    }

    @Override
    public void close() {
        parallel.close();
        cache = null;
        checkpoint.close();
    }
}
