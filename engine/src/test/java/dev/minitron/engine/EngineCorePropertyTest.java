package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.sample.SamplingParams;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The scheduler property test again, shorter, through the real {@link EngineCore} and CPU backend:
 * random arrivals with shared prefixes, priorities, aborts and deadlines on a tiny KV pool. Every
 * request is answered exactly once with nothing after its end, the pool is whole afterwards, and
 * every greedy output equals (or, when cut short, is a prefix of) the output of the same request on
 * a roomy engine without prefix caching, so preemption, chunking and cache hits change nothing.
 */
class EngineCorePropertyTest {

    private static final int ARRIVAL_STEPS = 400;

    /** Counts what each request receives, to catch a second end or output after the end. */
    private static final class Counting implements RequestSink {
        final List<Integer> tokens = new ArrayList<>();
        final List<RequestOutput.Finished> ends = new ArrayList<>();
        boolean outputAfterEnd;

        @Override
        public void accept(RequestOutput output) {
            if (!ends.isEmpty()) {
                outputAfterEnd = true;
            }
            switch (output) {
                case RequestOutput.TokenDelta d -> Arrays.stream(d.tokenIds()).forEach(tokens::add);
                case RequestOutput.Finished f -> ends.add(f);
            }
        }
    }

    @ParameterizedTest(name = "blockSize {0}, {1} blocks, seed {2}")
    @CsvSource({"1, 40, 1", "1, 24, 2", "4, 8, 3", "4, 12, 4", "16, 3, 5", "16, 5, 6"})
    void everyRequestIsAnsweredOnceAndGreedyOutputsMatchARoomyEngine(int blockSize, int numBlocks, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        EngineConfig tight = EngineConfig.defaults().withBlockSize(blockSize).withMaxNumSeqs(4)
                .withMaxNumBatchedTokens(8 + random.nextInt(24)).withStarvationSteps(30);
        long perBlock;
        try (CoreDriver probe = new CoreDriver(tight)) {
            perBlock = probe.backend.kvBytesPerBlock(blockSize);
        }
        List<EngineRequest> requests = new ArrayList<>();
        Map<String, Counting> sinks = new HashMap<>();
        int maxModelLen;
        try (CoreDriver d = new CoreDriver(tight.withKvCacheBytes(perBlock * numBlocks))) {
            maxModelLen = d.core.maxModelLen();
            int vocab = d.vocabSize();
            int[] base = new int[maxModelLen];
            Arrays.setAll(base, i -> 3 + random.nextInt(vocab - 3));
            List<String> live = new ArrayList<>();
            int step = 0;
            for (; step < ARRIVAL_STEPS || d.core.hasWork(); step++) {
                assertThat(step).as("drained in time").isLessThan(ARRIVAL_STEPS + 5000);
                if (step < ARRIVAL_STEPS && random.nextInt(3) == 0) {
                    int len = 1 + random.nextInt(maxModelLen + 2);   // a few too long
                    int[] prompt = new int[len];
                    Arrays.setAll(prompt, i -> 3 + random.nextInt(vocab - 3));
                    System.arraycopy(base, 0, prompt, 0, random.nextInt(len + 1));
                    var params = SamplingParams.builder().maxTokens(1 + random.nextInt(12)).temperature(0)
                            .ignoreEos(true).build();
                    Instant deadline = random.nextInt(8) == 0 ? Instant.now().plusMillis(random.nextInt(100)) : null;
                    var r = new EngineRequest("r" + requests.size(), prompt, params, random.nextInt(3) - 1, deadline);
                    requests.add(r);
                    Counting sink = new Counting();
                    sinks.put(r.requestId(), sink);
                    d.core.add(r, sink);
                    live.add(r.requestId());
                }
                if (step < ARRIVAL_STEPS && random.nextInt(25) == 0 && !live.isEmpty()) {
                    d.core.abort(live.get(random.nextInt(live.size())), FinishReason.CANCELLED);
                }
                d.core.step();
                d.core.kvCacheManager().pool().checkConsistency();
                live.removeIf(id -> !sinks.get(id).ends.isEmpty());
            }
            PrefixCachingTest.assertPoolWhole(d);
            EngineStats stats = d.stats();
            System.out.printf("blockSize %d, %d blocks: %d requests in %d steps, %d preemptions, prefix cache %d of %d"
                    + " tokens%n", blockSize, numBlocks, requests.size(), step, stats.numPreemptions(),
                    stats.prefixCacheHits(), stats.prefixCacheQueries());
            assertThat(stats.watchdogFailures()).isZero();
            if (numBlocks * blockSize >= 32) {
                assertThat(d.stats().prefixCacheHits()).as("cache hits happened").isPositive();
            }
        }

        Map<String, int[]> reference = new HashMap<>();
        try (CoreDriver roomy = new CoreDriver(EngineConfig.defaults().withEnablePrefixCaching(false)
                .withMaxModelLen(maxModelLen).withMaxNumSeqs(64))) {
            for (EngineRequest r : requests) {
                if (r.promptTokenIds().length < maxModelLen) {
                    roomy.add(new EngineRequest(r.requestId(), r.promptTokenIds(), r.params()));
                }
            }
            roomy.drain(10_000);
            roomy.outputs.forEach((id, c) -> reference.put(id, c.await().outputTokenIds()));
        }

        int compared = 0;
        for (EngineRequest r : requests) {
            Counting sink = sinks.get(r.requestId());
            assertThat(sink.ends).as(r.requestId()).hasSize(1);
            assertThat(sink.outputAfterEnd).isFalse();
            var f = sink.ends.getFirst();
            int[] streamed = sink.tokens.stream().mapToInt(Integer::intValue).toArray();
            assertThat(f.outputTokenIds()).containsExactly(streamed);
            if (r.promptTokenIds().length >= maxModelLen) {
                assertThat(f.errorCode()).isEqualTo("prompt_too_long");
                continue;
            }
            assertThat(f.reason()).isIn(FinishReason.LENGTH, FinishReason.CANCELLED, FinishReason.TIMEOUT);
            int[] expected = reference.get(r.requestId());
            if (f.reason() == FinishReason.LENGTH) {
                assertThat(streamed).as(r.requestId()).containsExactly(expected);
                compared++;
            } else {
                assertThat(streamed).as(r.requestId()).containsExactly(Arrays.copyOf(expected, streamed.length));
            }
            assertThat(f.cachedTokens()).isBetween(0, r.promptTokenIds().length - 1);
        }
        assertThat(compared).isGreaterThan(10);
    }
}
