package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.sample.Sampler;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tokenizer.Tokenizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine loop over a real tiny checkpoint: batching, sampling, stopping, aborting. */
class LlmEngineTest {

    private static LlmEngine engine;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void start() {
        engine = EngineHarness.engine(EngineConfig.defaults());
        tokenizer = engine.tokenizer();
    }

    @AfterAll
    static void stop() {
        engine.close();
        engine.backend().close();
    }

    private static EngineRequest request(String id, String prompt, SamplingParams params) {
        return new EngineRequest(id, tokenizer.encode(prompt), params);
    }

    private static EngineHarness.Collected run(EngineRequest request) {
        return EngineHarness.submitAll(engine, List.of(request)).get(request.requestId());
    }

    @Test
    void greedyGenerationEqualsArgmaxOfAFreshFullForwardAtEveryStep() {
        int[] prompt = tokenizer.encode("The cat sat on the mat");
        var params = SamplingParams.builder().maxTokens(8).temperature(0).ignoreEos(true).build();
        var out = run(new EngineRequest("greedy", prompt, params));
        int[] generated = out.await().outputTokenIds();

        // Reference: no KV reuse at all, the whole sequence recomputed for each next token.
        try (Backend reference = CpuBackend.load(EngineHarness.checkpoint(), 1)) {
            reference.allocateKvCache(64, 16);
            int[] seq = prompt.clone();
            for (int step = 0; step < generated.length; step++) {
                int n = seq.length;
                int[] positions = new int[n];
                int[] slots = new int[n];
                for (int i = 0; i < n; i++) {
                    positions[i] = i;
                    slots[i] = i;
                }
                int blocks = (n + 15) / 16;
                int[] table = new int[blocks];
                Arrays.setAll(table, i -> i);
                float[][] logits = reference.forward(new ForwardBatch(seq, positions, slots, new int[] {0, n},
                        new int[] {n}, new int[][] {table}, new int[] {n - 1}));
                int next = Sampler.argmax(logits[0]);
                assertThat(generated[step]).as("token %d", step).isEqualTo(next);
                seq = Arrays.copyOf(seq, n + 1);
                seq[n] = next;
            }
        }
    }

    @Test
    void streamedDeltasConcatenateToTheCompletionText() {
        var params = SamplingParams.builder().maxTokens(20).temperature(0.8).seed(3L).build();
        var out = run(request("concat", "Hello world", params));
        var f = out.await();
        assertThat(out.streamedText()).isEqualTo(f.text());
        assertThat(out.streamedTokens()).containsExactly(f.outputTokenIds());
        for (int i = 0; i < out.deltas.size(); i++) {
            assertThat(out.deltas.get(i).seq()).isEqualTo(i);
        }
    }

    @Test
    void seededRequestDoesNotDependOnItsBatchNeighbours() {
        var seeded = SamplingParams.builder().maxTokens(16).temperature(1.0).topP(0.9).topK(50).seed(42L)
                .ignoreEos(true).build();
        int[] alone = run(request("seed-alone", "A seeded story", seeded)).await().outputTokenIds();

        List<EngineRequest> crowd = new ArrayList<>();
        crowd.add(request("seed-crowd", "A seeded story", seeded));
        for (int i = 0; i < 5; i++) {
            crowd.add(request("noise-" + i, "Noise number " + i,
                    SamplingParams.builder().maxTokens(10 + i).temperature(1.0).build()));
        }
        var outs = EngineHarness.submitAll(engine, crowd);
        outs.values().forEach(EngineHarness.Collected::await);
        assertThat(outs.get("seed-crowd").await().outputTokenIds()).containsExactly(alone);
    }

    @Test
    void stopStringEndsTheTextAndIsNeverEmitted() {
        var greedy = SamplingParams.builder().maxTokens(24).temperature(0).ignoreEos(true).build();
        String full = run(request("stop-ref", "Once upon a time", greedy)).await().text();
        assertThat(full.length()).as("reference text").isGreaterThan(6);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        int expectedEnd = full.indexOf(stop);

        var withStop = SamplingParams.builder().maxTokens(24).temperature(0).ignoreEos(true).stop(List.of(stop)).build();
        var out = run(request("stop", "Once upon a time", withStop));
        var f = out.await();
        assertThat(f.reason()).isEqualTo(FinishReason.STOP);
        assertThat(f.text()).isEqualTo(full.substring(0, expectedEnd));
        assertThat(out.streamedText()).isEqualTo(f.text());
        for (var d : out.deltas) {
            assertThat(d.text()).doesNotContain(stop);
        }
    }

    @Test
    void maxTokensEndsWithLength() {
        var params = SamplingParams.builder().maxTokens(5).temperature(0).ignoreEos(true).build();
        var f = run(request("len", "Count", params)).await();
        assertThat(f.reason()).isEqualTo(FinishReason.LENGTH);
        assertThat(f.completionTokens()).isEqualTo(5);
        assertThat(f.promptTokens()).isEqualTo(tokenizer.encode("Count").length);
        assertThat(f.ttftMillis()).isNotNull();
    }

    @Test
    void stopTokenIdEndsWithStop() {
        var greedy = SamplingParams.builder().maxTokens(10).temperature(0).ignoreEos(true).build();
        int[] ref = run(request("stopid-ref", "Stop at a token", greedy)).await().outputTokenIds();
        var params = SamplingParams.builder().maxTokens(10).temperature(0).ignoreEos(true)
                .stopTokenIds(new int[] {ref[3]}).build();
        var f = run(request("stopid", "Stop at a token", params)).await();
        assertThat(f.reason()).isEqualTo(FinishReason.STOP);
        int firstHit = 0;
        while (ref[firstHit] != ref[3]) {
            firstHit++;
        }
        assertThat(f.completionTokens()).isEqualTo(firstHit + 1);
    }

    @Test
    void abortEndsARunningRequestAsCancelled() throws Exception {
        var params = SamplingParams.builder().maxTokens(400).temperature(0).ignoreEos(true).build();
        var out = run(request("abort-me", "Go on forever", params));
        while (out.deltas.size() < 2) {
            Thread.sleep(5);
        }
        engine.abort("abort-me", FinishReason.CANCELLED);
        var f = out.await();
        assertThat(f.reason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(f.completionTokens()).isLessThan(400);
        assertThat(out.streamedText()).isEqualTo(f.text());
    }

    @Test
    void pastDeadlineRequestIsAnsweredTimeout() {
        var params = SamplingParams.builder().maxTokens(8).temperature(0).build();
        var expired = new EngineRequest("late", tokenizer.encode("Too late"), params, 0, Instant.now().minusSeconds(1));
        var f = run(expired).await();
        assertThat(f.reason()).isEqualTo(FinishReason.TIMEOUT);
        assertThat(f.completionTokens()).isZero();
        assertThat(f.ttftMillis()).isNull();
    }

    @Test
    void promptLongerThanTheContextIsRejectedWithAClearError() {
        int[] ids = new int[engine.maxModelLen()];
        Arrays.fill(ids, 5);
        var f = run(new EngineRequest("huge", ids, SamplingParams.greedy(4))).await();
        assertThat(f.reason()).isEqualTo(FinishReason.ERROR);
        assertThat(f.errorCode()).isEqualTo("prompt_too_long");
        assertThat(f.errorMessage()).contains("max_model_len");
    }

    @Test
    void logprobsReportTheChosenTokenAndTheTopN() {
        var params = SamplingParams.builder().maxTokens(3).temperature(0).logprobs(4).ignoreEos(true).build();
        var out = run(request("lp", "Probabilities", params));
        out.await();
        var lp = out.deltas.getFirst().logprobs().getFirst();
        assertThat(lp.topTokenIds()).hasSize(4);
        assertThat(lp.topTokenIds()[0]).as("greedy picks the most likely").isEqualTo(lp.tokenId());
        assertThat(lp.logprob()).isLessThanOrEqualTo(0f).isEqualTo(lp.topLogprobs()[0]);
        assertThat(lp.topLogprobs()[1]).isLessThanOrEqualTo(lp.topLogprobs()[0]);
    }
}
