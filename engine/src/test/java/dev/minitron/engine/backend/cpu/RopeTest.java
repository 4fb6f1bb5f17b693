package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.minitron.engine.io.DType;
import org.junit.jupiter.api.Test;

class RopeTest {

    /** headDim 8, rotary on the first 4 dims: pairs (0, 2) and (1, 3); dims 4–7 pass through. */
    private final Rope rope = new Rope(4, 10000.0, DType.F32);

    @Test
    void positionZeroLeavesTheHeadUnchanged() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        rope.apply(x, 1, 1, 8, rope.angles(new int[] {0}));
        assertThat(x).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void rotatesPairsHalfTheRotaryWidthApartAndPassesTheRestThrough() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8};
        int p = 3;
        rope.apply(x, 1, 1, 8, rope.angles(new int[] {p}));
        double a0 = p * 1.0;                       // inv_freq[0] = 10000^0
        double a1 = p * Math.pow(10000.0, -0.5);   // inv_freq[1] = 10000^(-2/4)
        assertThat(x[0]).isCloseTo((float) (1 * Math.cos(a0) - 3 * Math.sin(a0)), within(1e-5f));
        assertThat(x[2]).isCloseTo((float) (3 * Math.cos(a0) + 1 * Math.sin(a0)), within(1e-5f));
        assertThat(x[1]).isCloseTo((float) (2 * Math.cos(a1) - 4 * Math.sin(a1)), within(1e-5f));
        assertThat(x[3]).isCloseTo((float) (4 * Math.cos(a1) + 2 * Math.sin(a1)), within(1e-5f));
        assertThat(new float[] {x[4], x[5], x[6], x[7]}).containsExactly(5, 6, 7, 8);
    }

    @Test
    void roundsCosAndSinToTheActivationDtypeLikeHuggingFace() {
        var bf16 = new Rope(4, 10000.0, DType.BF16).angles(new int[] {3});
        assertThat(bf16.cos()[0]).isEqualTo(DType.BF16.round((float) Math.cos(3)));
        assertThat(Float.floatToRawIntBits(bf16.sin()[1]) & 0xFFFF).isZero();
    }
}
