package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.TensorView;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every weight format's Vector API kernel against a plain double-precision loop. */
class WeightMatrixTest {

    private static final int ROWS = 37;
    private static final int COLS = 70; // not a multiple of any vector length: exercises the scalar tails

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulMatchesAPlainLoopForAnyNumberOfTokens(DType dtype) {
        SplittableRandom random = new SplittableRandom(dtype.ordinal());
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) {
            w[i] = dtype.round((float) random.nextGaussian());
        }
        WeightMatrix matrix = WeightMatrix.of(view(dtype, w));
        try (Parallel parallel = new Parallel(2)) {
            Matmul matmul = new Matmul(parallel);
            for (int n : new int[] {1, 3, 4, 9, 40}) {
                float[] x = new float[n * COLS];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                float[] y = matmul.apply(matrix, x, n);
                for (int t = 0; t < n; t++) {
                    for (int r = 0; r < ROWS; r++) {
                        double expected = 0;
                        for (int k = 0; k < COLS; k++) {
                            expected += (double) w[r * COLS + k] * x[t * COLS + k];
                        }
                        assertThat((double) y[t * ROWS + r]).as("n=%d t=%d r=%d", n, t, r).isCloseTo(expected,
                                offset(1e-4));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void readRowWidensTheStoredValues(DType dtype) {
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) {
            w[i] = dtype.round(i * 0.37f - 100);
        }
        float[] row = new float[COLS + 3];
        WeightMatrix.of(view(dtype, w)).readRow(5, row, 3);
        for (int k = 0; k < COLS; k++) {
            assertThat(row[3 + k]).isEqualTo(w[5 * COLS + k]);
        }
    }

    private static TensorView view(DType dtype, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case BF16 -> b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                case F16 -> b.putShort(Float.floatToFloat16(v));
                case F32 -> b.putFloat(v);
            }
        }
        return new TensorView("w", dtype, new long[] {ROWS, COLS}, MemorySegment.ofArray(b.array()));
    }
}
