package dev.minitron.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static int sample(float[] logits, SamplingParams p, long seed) {
        return Sampler.sample(logits.clone(), p, new int[] {1, 2, 3}, 2, 3, new SplittableRandom(seed));
    }

    @Test
    void vanishingTemperatureIsGreedyInsteadOfOverflowing() {
        float[] logits = {0.1f, 2.0f, 0.3f, 1.9f};
        var p = SamplingParams.builder().temperature(1e-50).topK(40).build();
        assertThat(sample(logits, p, 1)).isEqualTo(1);
    }

    @Test
    void extremePenaltiesNeverBreakSampling() {
        float[] logits = {0.1f, 2.0f, 0.3f, 1.9f, -4f};
        var p = SamplingParams.builder().temperature(1.0).topK(3).topP(0.9).repetitionPenalty(1e-300)
                .presencePenalty(2).frequencyPenalty(-2).build();
        for (long seed = 0; seed < 100; seed++) {
            assertThat(sample(logits, p, seed)).isBetween(0, 4);
        }
    }

    @Test
    void topPAppliesToTheDistributionLeftByTopK() {
        // softmax(ln p) = p: probabilities .4 .3 .2 .1. top-k 3 leaves .4 .3 .2 (mass .9); top-p .75 of
        // that mass (.675) is reached by the first two, so the third is never drawn.
        float[] logits = {(float) Math.log(.4), (float) Math.log(.3), (float) Math.log(.2), (float) Math.log(.1)};
        var p = SamplingParams.builder().temperature(1.0).topK(3).topP(0.75).build();
        for (long seed = 0; seed < 500; seed++) {
            assertThat(sample(logits, p, seed)).isIn(0, 1);
        }
    }

    @Test
    void minPDropsTokensFarBelowTheMostLikely() {
        float[] logits = {(float) Math.log(.6), (float) Math.log(.35), (float) Math.log(.05)};
        var p = SamplingParams.builder().temperature(1.0).minP(0.1).build();   // threshold .06
        for (long seed = 0; seed < 500; seed++) {
            assertThat(sample(logits, p, seed)).isIn(0, 1);
        }
    }

    @Test
    void sameSeedSameDraws() {
        float[] logits = new float[100];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i);
        }
        var p = SamplingParams.builder().temperature(0.9).topP(0.95).build();
        assertThat(sample(logits, p, 42)).isEqualTo(sample(logits, p, 42));
    }

    @Test
    void allTokensMaskedFallsBackToTheFirstInsteadOfThrowing() {
        float[] logits = {Float.NaN, Float.NaN};
        var p = SamplingParams.builder().temperature(1.0).topK(2).build();
        assertThat(sample(logits, p, 1)).isZero();
    }
}
