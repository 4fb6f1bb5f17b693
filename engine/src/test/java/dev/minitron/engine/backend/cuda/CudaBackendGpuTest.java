package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.BatchBuilder;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.io.DType;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tiny.WeightsFormat;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend against the CPU backend (the oracle) on generated checkpoints. Runs only where a
 * GPU is (-Dminitron.gpu=true, set by engine/scripts/gpu-check.sh); every figure is printed as a
 * {@code GPUCHECK} line for docs/benchmarks/cuda.md.
 */
class CudaBackendGpuTest {

    private static Path root;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Boolean.getBoolean("minitron.gpu"), "no GPU here (set -Dminitron.gpu=true on a GPU host)");
        root = Files.createTempDirectory("minitron-cuda-test");
    }

    private static Path checkpoint(String name, ModelConfig config, long seed, DType dtype) throws Exception {
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            TinyCheckpoint.write(dir, config, seed, WeightsFormat.SAFETENSORS, dtype);
        }
        return dir;
    }

    private static void report(String line) {
        System.out.println("GPUCHECK " + line);
    }

    /** Logit-level comparison over a scripted prefill (chunked) + decode run, teacher-forced by the CPU's argmax. */
    private record Comparison(double maxAbs, int argmaxAgree, int rows) {
    }

    private static Comparison compare(Path ckpt, boolean graphs) {
        int blockSize = 16;
        int numBlocks = 64;
        try (CpuBackend cpu = CpuBackend.load(ckpt, 4);
             CudaBackend gpu = CudaBackend.load(ckpt, new CudaBackend.Options(0, graphs))) {
            cpu.allocateKvCache(numBlocks, blockSize);
            gpu.allocateKvCache(numBlocks, blockSize);
            int vocab = cpu.modelConfig().vocabSize();
            SplittableRandom rnd = new SplittableRandom(11);
            int[] promptLens = {37, 5, 70};
            int[][] tables = {range(0, 8), range(8, 16), range(16, 24)};
            int[][] prompts = new int[3][];
            for (int s = 0; s < 3; s++) {
                prompts[s] = rnd.ints(promptLens[s], 3, vocab).toArray();
            }
            double maxAbs = 0;
            int agree = 0;
            int rows = 0;
            // step 1: seq 0 whole prompt, seq 1 whole prompt, seq 2 first 40 tokens (a chunk, no logits)
            // step 2: seq 2's next 10 tokens alone (no logits at all); step 3: its last 20; then 24 decodes
            int[] cached = new int[3];
            int[] last = new int[3];
            BatchBuilder b1 = new BatchBuilder(blockSize)
                    .add(tables[0], 0, prompts[0], false)
                    .add(tables[1], 0, prompts[1], true);
            ForwardBatch first = withoutLastRowOf(b1, tables[2], Arrays.copyOf(prompts[2], 40), blockSize);
            float[][] lc = cpu.forward(first);
            float[][] lg = gpu.forward(first);
            Comparison c = accumulate(lc, lg);
            maxAbs = Math.max(maxAbs, c.maxAbs());
            agree += c.argmaxAgree();
            rows += c.rows();
            last[0] = argmax(lc[0]);
            last[1] = argmax(lc[lc.length - 1]);
            cached[0] = promptLens[0];
            cached[1] = promptLens[1];
            // a step of one prompt chunk only: no sequence samples, no logits rows (a long prompt alone)
            ForwardBatch chunkOnly = new BatchBuilder(blockSize)
                    .add(tables[2], 40, Arrays.copyOfRange(prompts[2], 40, 50), false).build();
            chunkOnly = new ForwardBatch(chunkOnly.tokenIds(), chunkOnly.positions(), chunkOnly.slotMapping(),
                    chunkOnly.queryStartLoc(), chunkOnly.seqLens(), chunkOnly.blockTables(), new int[0]);
            assertThat(cpu.forward(chunkOnly)).isEmpty();
            assertThat(gpu.forward(chunkOnly)).isEmpty();
            ForwardBatch second = new BatchBuilder(blockSize)
                    .add(tables[2], 50, Arrays.copyOfRange(prompts[2], 50, 70), false).build();
            lc = cpu.forward(second);
            lg = gpu.forward(second);
            c = accumulate(lc, lg);
            maxAbs = Math.max(maxAbs, c.maxAbs());
            agree += c.argmaxAgree();
            rows += c.rows();
            last[2] = argmax(lc[0]);
            cached[2] = promptLens[2];
            for (int step = 0; step < 24; step++) {
                BatchBuilder d = new BatchBuilder(blockSize);
                for (int s = 0; s < 3; s++) {
                    d.add(tables[s], cached[s], new int[] {last[s]}, false);
                }
                ForwardBatch batch = d.build();
                lc = cpu.forward(batch);
                lg = gpu.forward(batch);
                c = accumulate(lc, lg);
                maxAbs = Math.max(maxAbs, c.maxAbs());
                agree += c.argmaxAgree();
                rows += c.rows();
                for (int s = 0; s < 3; s++) {
                    last[s] = argmax(lc[s]);
                    cached[s]++;
                }
            }
            return new Comparison(maxAbs, agree, rows);
        }
    }

    private static ForwardBatch withoutLastRowOf(BatchBuilder b, int[] table, int[] chunk, int blockSize) {
        ForwardBatch withChunk = b.add(table, 0, chunk, false).build();
        int[] rows = Arrays.copyOf(withChunk.logitsIndices(), withChunk.logitsIndices().length - 1); // a partial prompt samples nothing
        return new ForwardBatch(withChunk.tokenIds(), withChunk.positions(), withChunk.slotMapping(),
                withChunk.queryStartLoc(), withChunk.seqLens(), withChunk.blockTables(), rows);
    }

    private static Comparison accumulate(float[][] cpu, float[][] gpu) {
        assertThat(gpu.length).isEqualTo(cpu.length);
        double max = 0;
        int agree = 0;
        for (int r = 0; r < cpu.length; r++) {
            for (int i = 0; i < cpu[r].length; i++) {
                assertThat(Float.isFinite(gpu[r][i])).as("finite logit").isTrue();
                max = Math.max(max, Math.abs(cpu[r][i] - gpu[r][i]));
            }
            if (argmax(cpu[r]) == argmax(gpu[r])) {
                agree++;
            }
        }
        return new Comparison(max, agree, cpu.length);
    }

    @Test
    void float32LogitsMatchTheCpuBackend() throws Exception {
        for (TinyPreset preset : new TinyPreset[] {TinyPreset.TINY, TinyPreset.HEAD128}) {
            Path ckpt = checkpoint(preset + "-f32", preset.config(), 7, DType.F32);
            for (boolean graphs : new boolean[] {false, true}) {
                Comparison c = compare(ckpt, graphs);
                report(String.format("logits f32 %s graphs=%s max|Δ|=%.3g argmax %d/%d", preset, graphs, c.maxAbs(),
                        c.argmaxAgree(), c.rows()));
                assertThat(c.maxAbs()).isLessThan(1e-3);
                assertThat(c.argmaxAgree()).isGreaterThanOrEqualTo((int) Math.ceil(0.99 * c.rows()));
            }
        }
    }

    @Test
    void bfloat16LogitsAreCloseToTheCpuBackend() throws Exception {
        for (TinyPreset preset : new TinyPreset[] {TinyPreset.TINY, TinyPreset.HEAD128}) {
            Path ckpt = checkpoint(preset + "-bf16", preset.config(), 7, DType.BF16);
            Comparison c = compare(ckpt, true);
            report(String.format("logits bf16 %s max|Δ|=%.3g argmax %d/%d", preset, c.maxAbs(), c.argmaxAgree(), c.rows()));
            // bf16 activations on the GPU, fp32 on the CPU: HF-bf16-like differences (see HfReferenceTest)
            assertThat(c.maxAbs()).isLessThan(0.1);
            assertThat(c.argmaxAgree()).isGreaterThanOrEqualTo((int) Math.ceil(0.9 * c.rows()));
        }
    }

    @Test
    void greedyContinuationsMatchTheCpuEngine() throws Exception {
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            Path ckpt = checkpoint("tiny-" + dtype, TinyPreset.TINY.config(), 7, dtype);
            List<EngineRequest> requests = new ArrayList<>();
            SplittableRandom rnd = new SplittableRandom(5);
            for (int i = 0; i < 32; i++) {
                requests.add(new EngineRequest("g" + i, rnd.ints(4 + rnd.nextInt(60), 3, 1024).toArray(),
                        SamplingParams.builder().maxTokens(64).temperature(0).ignoreEos(true).build()));
            }
            List<int[]> cpuOut = generate(CpuBackend.load(ckpt, 4), ckpt, requests);
            List<int[]> gpuOut = generate(CudaBackend.load(ckpt), ckpt, requests);
            int same = 0;
            for (int i = 0; i < requests.size(); i++) {
                if (Arrays.equals(cpuOut.get(i), gpuOut.get(i))) {
                    same++;
                }
            }
            report(String.format("greedy 64-token continuations %s identical %d/%d", dtype, same, requests.size()));
            if (dtype == DType.F32) {
                assertThat(same).isGreaterThanOrEqualTo((int) Math.ceil(0.95 * requests.size()));
            }
        }
    }

    @Test
    void aSeededSampledRequestDoesNotDependOnItsNeighbours() throws Exception {
        Path ckpt = checkpoint("tiny-bf16-seeded", TinyPreset.TINY.config(), 9, DType.BF16);
        SamplingParams seeded = SamplingParams.builder().maxTokens(48).temperature(0.9).topP(0.95).topK(50)
                .seed(1234L).ignoreEos(true).logprobs(3).build();
        int[] prompt = new SplittableRandom(3).ints(20, 3, 1024).toArray();
        List<EngineRequest> alone = List.of(new EngineRequest("s", prompt, seeded));
        List<EngineRequest> crowded = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(8);
        for (int i = 0; i < 12; i++) {
            crowded.add(new EngineRequest("n" + i, rnd.ints(5 + rnd.nextInt(80), 3, 1024).toArray(),
                    SamplingParams.builder().maxTokens(30 + i).temperature(1.0).ignoreEos(true).build()));
            if (i == 5) {
                crowded.add(new EngineRequest("s", prompt, seeded));
            }
        }
        int[] a = generate(CudaBackend.load(ckpt), ckpt, alone).get(0);
        List<int[]> all = generate(CudaBackend.load(ckpt), ckpt, crowded);
        int[] b = all.get(6);
        report("seeded request alone vs among 12 neighbours identical: " + Arrays.equals(a, b) + " (" + a.length + " tokens)");
        assertThat(b).containsExactly(a);
    }

    /** Runs the requests through a real engine over {@code backend} and returns each one's output tokens. */
    private static List<int[]> generate(Backend backend, Path ckpt, List<EngineRequest> requests) {
        EngineConfig config = EngineConfig.defaults().withMaxNumSeqs(16).withMaxNumBatchedTokens(256)
                .withKvCacheBytes(64L << 20).withGpuMemoryUtilization(0.3);
        List<CompletableFuture<int[]>> outs = new ArrayList<>();
        try (LlmEngine engine = new LlmEngine(backend, Tokenizers.load(ckpt), config)) {
            for (EngineRequest r : requests) {
                CompletableFuture<int[]> f = new CompletableFuture<>();
                outs.add(f);
                engine.addRequest(r, (RequestSink) out -> {
                    if (out instanceof RequestOutput.Finished done) {
                        f.complete(done.outputTokenIds());
                    }
                });
            }
            List<int[]> result = new ArrayList<>();
            for (CompletableFuture<int[]> f : outs) {
                result.add(f.orTimeout(120, TimeUnit.SECONDS).join());
            }
            return result;
        } finally {
            backend.close();
        }
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
