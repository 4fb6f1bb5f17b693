package dev.minitron.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedBackendTest {

    private static final SimulatedBackend.StepTime FAST = new SimulatedBackend.StepTime(Duration.ofMillis(1), Duration.ZERO);

    @TempDir
    Path dir;

    @Test
    void theSameRequestGetsTheSameValidTokensThroughTheEngine() throws Exception {
        TinyCheckpoint.write(dir, TinyPreset.TINY, 3);
        // Only config.json and the tokenizer are needed: the weights are never opened.
        Files.delete(dir.resolve("model.safetensors"));
        try (Backend backend = Backends.open("simulated", dir, 1, FAST);
             LlmEngine engine = new LlmEngine(backend, Tokenizers.load(dir), EngineConfig.defaults())) {
            assertThat(backend.name()).isEqualTo("simulated");
            int[] prompt = {5, 17, 300, 42, 9};
            int[] neighbour = {7, 7, 7};
            var greedy = SamplingParams.builder().maxTokens(16).temperature(0).build();
            var sampled = SamplingParams.builder().maxTokens(16).temperature(1.0).seed(11L).build();

            var first = finish(engine, new EngineRequest("a", prompt, greedy));
            var again = finish(engine, new EngineRequest("b", prompt, greedy));
            var hot = finish(engine, new EngineRequest("c", prompt, sampled));
            var other = finish(engine, new EngineRequest("d", neighbour, greedy));

            var config = backend.modelConfig();
            assertThat(first.reason()).isEqualTo(FinishReason.LENGTH);   // never EOS: runs to max_tokens
            assertThat(first.outputTokenIds()).hasSize(16);
            assertThat(Arrays.stream(first.outputTokenIds()).boxed().toList())
                    .allSatisfy(t -> assertThat(t).isBetween(0, config.vocabSize() - 1)
                            .isNotEqualTo(config.eosTokenId()).isNotEqualTo(config.bosTokenId()));
            assertThat(again.outputTokenIds()).isEqualTo(first.outputTokenIds());
            assertThat(hot.outputTokenIds()).isEqualTo(first.outputTokenIds());
            assertThat(other.outputTokenIds()).isNotEqualTo(first.outputTokenIds());
            assertThat(Arrays.stream(first.outputTokenIds()).distinct().count()).isGreaterThan(8);
        }
    }

    @Test
    void aStepTakesAtLeastItsFixedTimePlusItsTokensTime() {
        var time = new SimulatedBackend.StepTime(Duration.ofMillis(30), Duration.ofMillis(5));
        var backend = new SimulatedBackend(TinyPreset.TINY.config(), time);
        backend.allocateKvCache(4, 16);
        // Two sequences: a 3-token prefill and one decode token; logits for the last row of each.
        var batch = new ForwardBatch(new int[] {4, 5, 6, 7}, new int[] {0, 1, 2, 9}, new int[] {0, 1, 2, 25},
                new int[] {0, 3, 4}, new int[] {3, 10}, new int[][] {{0}, {1}}, new int[] {2, 3});
        long start = System.nanoTime();
        float[][] logits = backend.forward(batch);
        long tookNanos = System.nanoTime() - start;

        assertThat(tookNanos).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30 + 4 * 5));
        assertThat(logits).hasDimensions(2, TinyPreset.TINY.config().vocabSize());
        for (float[] row : logits) {
            int chosen = 0;
            for (float v : row) {
                chosen += v == SimulatedBackend.CHOSEN_LOGIT ? 1 : 0;
                assertThat(v).isIn(0f, SimulatedBackend.CHOSEN_LOGIT);
            }
            assertThat(chosen).isOne();
        }
        assertThat(backend.steps()).isEqualTo(1);
    }

    @Test
    void refusesToStepBeforeItsCacheIsAllocatedAndRefusesNegativeTimes() {
        var backend = new SimulatedBackend(TinyPreset.TINY.config(), FAST);
        var batch = new ForwardBatch(new int[] {4}, new int[] {0}, new int[] {0}, new int[] {0, 1}, new int[] {1},
                new int[][] {{0}}, new int[] {0});
        assertThatThrownBy(() -> backend.forward(batch)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new SimulatedBackend.StepTime(Duration.ofMillis(-1), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static RequestOutput.Finished finish(LlmEngine engine, EngineRequest request) {
        var done = new CompletableFuture<RequestOutput.Finished>();
        engine.addRequest(request, o -> {
            if (o instanceof RequestOutput.Finished f) {
                done.complete(f);
            }
        });
        return done.orTimeout(30, TimeUnit.SECONDS).join();
    }
}
