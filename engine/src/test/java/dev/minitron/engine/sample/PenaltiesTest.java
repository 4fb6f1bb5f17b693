package dev.minitron.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

class PenaltiesTest {

    @Test
    void repetitionPenalisesEachSeenTokenOnceOverPromptAndOutput() {
        float[] logits = {2f, -2f, 2f, 2f};
        var p = SamplingParams.builder().repetitionPenalty(2.0).build();
        Penalties.apply(logits, p, new int[] {0, 1, 0, 1, 0}, 2, 5);
        assertThat(logits).containsExactly(1f, -4f, 2f, 2f);
    }

    @Test
    void frequencyAndPresenceCountTheOutputOnly() {
        float[] logits = new float[6];
        var p = SamplingParams.builder().frequencyPenalty(0.5).presencePenalty(0.25).build();
        // prompt 4 4, output 5 5 5 3
        Penalties.apply(logits, p, new int[] {4, 4, 5, 5, 5, 3}, 2, 6);
        assertThat(logits[4]).isZero();
        assertThat(logits[5]).isCloseTo(-(3 * 0.5f + 0.25f), offset(1e-6f));
        assertThat(logits[3]).isCloseTo(-(0.5f + 0.25f), offset(1e-6f));
    }

    @Test
    void reusedScratchCarriesNothingFromOneCallToTheNext() {
        var p = SamplingParams.builder().repetitionPenalty(2.0).frequencyPenalty(1.0).build();
        float[] first = {1f, 1f, 1f, 1f};
        Penalties.apply(first, p, new int[] {0, 1, 1, 1}, 1, 4);
        float[] second = {1f, 1f, 1f, 1f};
        Penalties.apply(second, p, new int[] {2, 3}, 1, 2);
        // token 1 counted three times in the first call must not leak into the second
        assertThat(second).containsExactly(1f, 1f, 0.5f, 0.5f - 1f);
        float[] again = {1f, 1f, 1f, 1f};
        Penalties.apply(again, p, new int[] {0, 1, 1, 1}, 1, 4);
        assertThat(again).containsExactly(first);
    }
}
