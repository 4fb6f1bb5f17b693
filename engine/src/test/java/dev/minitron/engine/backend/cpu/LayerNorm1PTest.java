package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LayerNorm1PTest {

    @Test
    void normalisesWithMeanAndBiasedVarianceThenScalesByGammaAndAddsTheBias() {
        // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25
        var norm = new LayerNorm1P(new float[] {1f, 1.5f, 0.5f, 2f}, new float[] {0.1f, 0f, -0.1f, 0f}, 0f);
        float[] y = norm.apply(new float[] {1, 2, 3, 4}, 1);
        double s = Math.sqrt(1.25);
        assertThat(y[0]).isCloseTo((float) (-1.5 / s * 1 + 0.1), within(1e-6f));
        assertThat(y[1]).isCloseTo((float) (-0.5 / s * 1.5), within(1e-6f));
        assertThat(y[2]).isCloseTo((float) (0.5 / s * 0.5 - 0.1), within(1e-6f));
        assertThat(y[3]).isCloseTo((float) (1.5 / s * 2), within(1e-6f));
    }

    @Test
    void normalisesEachRowOnItsOwn() {
        var norm = new LayerNorm1P(new float[] {1f, 1f}, new float[] {0f, 0f}, 0f);
        assertThat(norm.apply(new float[] {0, 2, 10, 30}, 2)).containsExactly(-1f, 1f, -1f, 1f);
    }
}
