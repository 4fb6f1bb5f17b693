package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A KV pool too small for the load: sequences are preempted and recomputed, and nothing changes for them. */
class PreemptionTest {

    @Test
    void preemptedSequencesFinishWithTheSameGreedyTextAndEveryBlockReturns() {
        var params = SamplingParams.builder().maxTokens(24).temperature(0).ignoreEos(true).build();
        List<EngineRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(new EngineRequest("r" + i, EngineHarness.tokenizer().encode("Request number " + i + " says"),
                    params));
        }

        Map<String, int[]> roomy = generate(EngineConfig.defaults(), requests);
        // 4 blocks of 8 tokens per layer: 32 slots for six sequences of ~30 tokens each.
        EngineConfig tight = EngineConfig.defaults().withBlockSize(8).withMaxNumSeqs(6);
        try (LlmEngine engine = EngineHarness.engine(tight.withKvCacheBytes(kvBytes(tight, 5)))) {
            var outs = EngineHarness.submitAll(engine, requests);
            for (EngineRequest r : requests) {
                var f = outs.get(r.requestId()).await();
                assertThat(f.reason()).isEqualTo(FinishReason.LENGTH);
                assertThat(f.outputTokenIds()).as(r.requestId()).containsExactly(roomy.get(r.requestId()));
            }
            EngineStats stats = awaitIdle(engine);
            assertThat(stats.numPreemptions()).isPositive();
            assertThat(stats.numFreeKvBlocks()).isEqualTo(stats.numKvBlocks());
            engine.backend().close();
        }
    }

    private static long kvBytes(EngineConfig config, int blocks) {
        try (var backend = dev.minitron.engine.backend.cpu.CpuBackend.load(EngineHarness.checkpoint(), 1)) {
            return backend.kvBytesPerBlock(config.blockSize()) * blocks;
        }
    }

    private static Map<String, int[]> generate(EngineConfig config, List<EngineRequest> requests) {
        try (LlmEngine engine = EngineHarness.engine(config)) {
            var outs = EngineHarness.submitAll(engine, requests);
            Map<String, int[]> result = new java.util.HashMap<>();
            outs.forEach((id, c) -> result.put(id, c.await().outputTokenIds()));
            engine.backend().close();
            return result;
        }
    }

    private static EngineStats awaitIdle(LlmEngine engine) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        EngineStats s = engine.stats();
        while ((s.numRunning() > 0 || s.numWaiting() > 0) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            s = engine.stats();
        }
        return s;
    }
}
