package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.DeviceSampling;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.sample.Logprobs;
import dev.minitron.engine.sample.Sampler;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.sample.TokenLogprobs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The engine's side of device sampling (the CUDA backend's path), on the CPU: a backend that
 * samples "on its device" with the host sampler, fed only the {@link SamplingRow}s the engine
 * builds. Checks the rows line up with the logits rows, carry each sequence's own uniform, and that
 * tokens and logprobs reach the requests.
 */
class DeviceSamplingEngineTest {

    /** A real CPU backend whose sampling happens behind {@link DeviceSampling}, from the rows alone. */
    static final class RowSamplingBackend implements Backend, DeviceSampling {
        final CpuBackend cpu;
        final List<Integer> rowsPerStep = new ArrayList<>();

        RowSamplingBackend(CpuBackend cpu) {
            this.cpu = cpu;
        }

        @Override
        public SampledTokens forwardAndSample(ForwardBatch batch, SamplingRow[] rows) {
            float[][] logits = cpu.forward(batch);
            assertThat(rows).hasSameSizeAs(logits);
            rowsPerStep.add(rows.length);
            int[] tokens = new int[rows.length];
            TokenLogprobs[] logprobs = new TokenLogprobs[rows.length];
            for (int r = 0; r < rows.length; r++) {
                SamplingRow row = rows[r];
                assertThat(row.uniform()).isBetween(0.0, 1.0);
                float[] raw = logits[r].clone();
                tokens[r] = Sampler.sample(logits[r], row.params(), row.history(), row.numPromptTokens(),
                        row.historyLength(), fixed(row.uniform()));
                if (row.params().logprobs() != null) {
                    logprobs[r] = Logprobs.of(raw, tokens[r], row.params().logprobs());
                }
            }
            return new SampledTokens(tokens, logprobs);
        }

        private static RandomGenerator fixed(double u) {
            return new RandomGenerator() {
                @Override
                public long nextLong() {
                    throw new UnsupportedOperationException();
                }

                @Override
                public double nextDouble() {
                    return u;
                }
            };
        }

        @Override
        public String name() {
            return "row-sampling";
        }

        @Override
        public ModelConfig modelConfig() {
            return cpu.modelConfig();
        }

        @Override
        public long kvBytesPerBlock(int blockSize) {
            return cpu.kvBytesPerBlock(blockSize);
        }

        @Override
        public void allocateKvCache(int numBlocks, int blockSize) {
            cpu.allocateKvCache(numBlocks, blockSize);
        }

        @Override
        public float[][] forward(ForwardBatch batch) {
            throw new AssertionError("a device-sampling backend is never asked for host logits");
        }

        @Override
        public void close() {
            cpu.close();
        }
    }

    private static Map<String, EngineHarness.Collected> run(Backend backend, List<EngineRequest> requests) {
        try (LlmEngine engine = new LlmEngine(backend, EngineHarness.tokenizer(), EngineConfig.defaults().withMaxNumBatchedTokens(64))) {
            Map<String, EngineHarness.Collected> out = EngineHarness.submitAll(engine, requests);
            out.values().forEach(EngineHarness.Collected::await);
            return out;
        }
    }

    @Test
    void greedyTokensAreTheHostSamplersAndLogprobsArrive() {
        SplittableRandom rnd = new SplittableRandom(2);
        List<EngineRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(new EngineRequest("r" + i, rnd.ints(3 + 20 * i, 3, 1000).toArray(),
                    SamplingParams.builder().maxTokens(12).temperature(0).ignoreEos(true).logprobs(i % 2 == 0 ? 2 : null).build()));
        }
        RowSamplingBackend device = new RowSamplingBackend(CpuBackend.load(EngineHarness.checkpoint(), 2));
        Map<String, EngineHarness.Collected> viaDevice = run(device, requests);
        Map<String, EngineHarness.Collected> viaHost;
        try (CpuBackend host = CpuBackend.load(EngineHarness.checkpoint(), 2)) {
            viaHost = run(host, requests);
        }
        device.close();
        for (EngineRequest r : requests) {
            assertThat(viaDevice.get(r.requestId()).streamedTokens()).containsExactly(viaHost.get(r.requestId()).streamedTokens());
            boolean wantsLogprobs = r.params().logprobs() != null;
            assertThat(viaDevice.get(r.requestId()).deltas.stream().filter(d -> d.tokenIds().length > 0)
                    .allMatch(d -> (d.logprobs() != null) == wantsLogprobs)).isTrue();
        }
        assertThat(device.rowsPerStep).isNotEmpty().allMatch(n -> n >= 1 && n <= requests.size());
    }

    @Test
    void aSeededRequestSamplesTheSameAloneAndInACrowd() {
        SamplingParams seeded = SamplingParams.builder().maxTokens(16).temperature(1.0).topK(40).seed(99L).ignoreEos(true).build();
        int[] prompt = new SplittableRandom(4).ints(9, 3, 1000).toArray();
        List<EngineRequest> crowd = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(6);
        for (int i = 0; i < 5; i++) {
            crowd.add(new EngineRequest("n" + i, rnd.ints(4 + 7 * i, 3, 1000).toArray(),
                    SamplingParams.builder().maxTokens(10).temperature(1.0).ignoreEos(true).build()));
        }
        crowd.add(2, new EngineRequest("s", prompt, seeded));
        int[] alone;
        try (RowSamplingBackend b = new RowSamplingBackend(CpuBackend.load(EngineHarness.checkpoint(), 2))) {
            alone = run(b, List.of(new EngineRequest("s", prompt, seeded))).get("s").streamedTokens();
        }
        try (RowSamplingBackend b = new RowSamplingBackend(CpuBackend.load(EngineHarness.checkpoint(), 2))) {
            assertThat(run(b, crowd).get("s").streamedTokens()).containsExactly(alone).hasSize(16);
        }
    }
}
