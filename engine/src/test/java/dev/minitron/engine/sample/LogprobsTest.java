package dev.minitron.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogprobsTest {

    @Test
    void topNAreTheMostLikelyInOrderLowerIdFirstOnTies() {
        SplittableRandom random = new SplittableRandom(3);
        float[] logits = new float[5000];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = Math.round(random.nextGaussian() * 8) / 4f; // many ties
        }
        for (int topN : new int[] {0, 1, 7, 20}) {
            TokenLogprobs lp = Logprobs.of(logits, 42, topN);
            int[] expected = IntStream.range(0, logits.length).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -logits[i]).thenComparingInt(i -> i))
                    .limit(topN).mapToInt(Integer::intValue).toArray();
            assertThat(lp.topTokenIds()).containsExactly(expected);
            double lse = Softmax.logSumExp(logits);
            for (int j = 0; j < topN; j++) {
                assertThat((double) lp.topLogprobs()[j]).isCloseTo(logits[expected[j]] - lse, offset(1e-5));
            }
            assertThat((double) lp.logprob()).isCloseTo(logits[42] - lse, offset(1e-5));
        }
    }

    @Test
    void fewerTokensThanTopNLeavesTheRestEmpty() {
        TokenLogprobs lp = Logprobs.of(new float[] {0f, 1f}, 0, 3);
        assertThat(lp.topTokenIds()).containsExactly(1, 0, -1);
        assertThat(lp.topLogprobs()[2]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(lp.topLogprobs()[0]).isGreaterThan(lp.topLogprobs()[1]).isNegative();
    }
}
