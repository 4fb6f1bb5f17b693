package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.sample.SamplingParams;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What the engine does when memory is short or the device fails. */
class EngineRobustnessTest {

    /** The real CPU backend, with a switch that makes its forward pass fail (fault injection). */
    private static final class FaultyBackend implements Backend {
        final CpuBackend real = CpuBackend.load(EngineHarness.checkpoint(), 1);
        final AtomicBoolean failing = new AtomicBoolean();

        public String name() { return "faulty-cpu"; }
        public ModelConfig modelConfig() { return real.modelConfig(); }
        public long kvBytesPerBlock(int blockSize) { return real.kvBytesPerBlock(blockSize); }
        public void allocateKvCache(int numBlocks, int blockSize) { real.allocateKvCache(numBlocks, blockSize); }
        public void close() { real.close(); }

        public float[][] forward(ForwardBatch batch) {
            if (failing.get()) {
                throw new IllegalStateException("injected device fault");
            }
            return real.forward(batch);
        }
    }

    @Test
    void contextLongerThanTheKvPoolIsLoweredSoEverySequenceCanFinish() {
        EngineConfig config = EngineConfig.defaults().withBlockSize(8);
        long bytesPerBlock;
        try (var probe = CpuBackend.load(EngineHarness.checkpoint(), 1)) {
            bytesPerBlock = probe.kvBytesPerBlock(8);
        }
        try (LlmEngine engine = EngineHarness.engine(config.withKvCacheBytes(bytesPerBlock * 6))) {
            assertThat(engine.maxModelLen()).isEqualTo(48);
            var params = SamplingParams.builder().maxTokens(200).temperature(0).ignoreEos(true).build();
            int[] prompt = EngineHarness.tokenizer().encode("A prompt that will run into the end of the cache");
            var out = EngineHarness.submitAll(engine, List.of(new EngineRequest("long", prompt, params))).get("long");
            var f = out.await();
            assertThat(f.reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(f.promptTokens() + f.completionTokens()).isEqualTo(48);
            engine.backend().close();
        }
    }

    @Test
    void oneFailedStepAnswersItsBatchWithErrorAndTheEngineGoesOn() {
        FaultyBackend backend = new FaultyBackend();
        try (LlmEngine engine = new LlmEngine(backend, EngineHarness.tokenizer(), EngineConfig.defaults())) {
            backend.failing.set(true);
            var params = SamplingParams.greedy(4);
            var bad = EngineHarness.submitAll(engine, List.of(new EngineRequest("bad", new int[] {5, 6}, params)));
            var f = bad.get("bad").await();
            assertThat(f.reason()).isEqualTo(FinishReason.ERROR);
            assertThat(f.errorCode()).isEqualTo("engine_error");

            backend.failing.set(false);
            var good = EngineHarness.submitAll(engine, List.of(new EngineRequest("good", new int[] {5, 6}, params)));
            assertThat(good.get("good").await().reason()).isEqualTo(FinishReason.LENGTH);
            assertThat(engine.stats().alive()).isTrue();
        } finally {
            backend.close();
        }
    }

    @Test
    void aDeviceThatKeepsFailingStopsTheEngineWithoutAnsweringWhatIsLeft() throws Exception {
        FaultyBackend backend = new FaultyBackend();
        try (LlmEngine engine = new LlmEngine(backend, EngineHarness.tokenizer(), EngineConfig.defaults())) {
            backend.failing.set(true);
            var params = SamplingParams.greedy(4);
            for (int i = 0; i < LlmEngine.MAX_CONSECUTIVE_FAILURES; i++) {
                var out = EngineHarness.submitAll(engine, List.of(new EngineRequest("f" + i, new int[] {5}, params)));
                out.get("f" + i).await();
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (engine.stats().alive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(engine.stats().alive()).isFalse();
            assertThatThrownBy(() -> engine.addRequest(new EngineRequest("late", new int[] {5}, params), o -> { }))
                    .isInstanceOf(IllegalStateException.class);
        } finally {
            backend.close();
        }
    }
}
