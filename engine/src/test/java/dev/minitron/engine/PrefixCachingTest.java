package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.kv.BlockPool;
import dev.minitron.engine.sample.SamplingParams;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Prefix caching through the real engine core and CPU backend: a cached prefix is not computed
 * again, and the output is exactly what a cold run gives.
 */
class PrefixCachingTest {

    private static final int BLOCK = 4;
    private static final SamplingParams GREEDY =
            SamplingParams.builder().maxTokens(10).temperature(0).ignoreEos(true).build();

    private static int[] tokens(int n, long seed, int vocab) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] t = new int[n];
        Arrays.setAll(t, i -> 3 + random.nextInt(vocab - 3));
        return t;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static EngineConfig config(boolean caching) {
        return EngineConfig.defaults().withBlockSize(BLOCK).withMaxNumSeqs(8).withEnablePrefixCaching(caching);
    }

    /** The output of each prompt run alone on an engine without prefix caching. */
    private static int[] coldRun(int[] prompt) {
        try (CoreDriver d = new CoreDriver(config(false))) {
            var out = d.add(new EngineRequest("cold", prompt, GREEDY));
            d.drain(1000);
            assertThat(d.stats().numScheduledTokens()).isEqualTo(prompt.length + GREEDY.maxTokens() - 1);
            return out.await().outputTokenIds();
        }
    }

    @Test
    void theSamePromptTwiceComputesOnlyTheUncachedTailAndGivesTheSameOutput() {
        try (CoreDriver d = new CoreDriver(config(true))) {
            int[] prompt = tokens(50, 1, d.vocabSize());
            var first = d.add(new EngineRequest("first", prompt, GREEDY));
            d.drain(1000);
            long afterFirst = d.stats().numScheduledTokens();
            assertThat(afterFirst).isEqualTo(50 + 9);
            assertThat(first.await().cachedTokens()).isZero();

            var second = d.add(new EngineRequest("second", prompt, GREEDY));
            d.drain(1000);
            // 12 full blocks (48 tokens) of the 49 that may be cached; 2 prompt tokens computed.
            assertThat(second.await().cachedTokens()).isEqualTo(48);
            assertThat(d.stats().numScheduledTokens() - afterFirst).isEqualTo(2 + 9);
            assertThat(d.stats().prefixCacheHits()).isEqualTo(48);
            assertThat(d.stats().prefixCacheQueries()).isEqualTo(100);

            int[] cold = coldRun(prompt);
            assertThat(first.await().outputTokenIds()).containsExactly(cold);
            assertThat(second.await().outputTokenIds()).containsExactly(cold);
            assertThat(second.streamedTokens()).containsExactly(cold);

            // A prompt that continues the first request's output hits its generated blocks too.
            int[] continued = concat(prompt, first.await().outputTokenIds());
            var third = d.add(new EngineRequest("third", continued, GREEDY));
            d.drain(1000);
            assertThat(third.await().cachedTokens()).isEqualTo(56);   // 14 of the 15 full blocks
            assertThat(third.await().outputTokenIds()).containsExactly(coldRun(continued));
            assertPoolWhole(d);
        }
    }

    @Test
    void twoRunningSequencesShareTheirCommonPrefixBlocks() {
        int[] prefix;
        int[] a;
        int[] b;
        try (CoreDriver d = new CoreDriver(config(true))) {
            prefix = tokens(33, 2, d.vocabSize());
            a = concat(prefix, tokens(7, 3, d.vocabSize()));
            b = concat(prefix, tokens(5, 4, d.vocabSize()));
            var outA = d.add(new EngineRequest("a", a, GREEDY));
            d.core.step();                                          // a's prefill: its blocks are cached
            var outB = d.add(new EngineRequest("b", b, GREEDY));
            d.core.step();                                          // a decodes, b prefills its tail
            BlockPool pool = d.core.kvCacheManager().pool();
            int shared = 0;
            for (int blk = 0; blk < pool.numBlocks(); blk++) {
                if (pool.refCount(blk) == 2) {
                    shared++;
                }
            }
            assertThat(shared).as("blocks held by both").isEqualTo(8);   // 32 of the 33 common tokens
            d.drain(1000);
            assertThat(outB.await().cachedTokens()).isEqualTo(32);
            assertThat(outA.await().cachedTokens()).isZero();
            assertThat(outA.await().outputTokenIds()).containsExactly(coldRun(a));
            assertThat(outB.await().outputTokenIds()).containsExactly(coldRun(b));
            assertPoolWhole(d);
        }
    }

    static void assertPoolWhole(CoreDriver d) {
        BlockPool pool = d.core.kvCacheManager().pool();
        pool.checkConsistency();
        assertThat(pool.numFreeBlocks()).isEqualTo(pool.numBlocks());
        for (int blk = 0; blk < pool.numBlocks(); blk++) {
            assertThat(pool.refCount(blk)).isZero();
        }
    }
}
