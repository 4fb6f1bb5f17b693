package dev.minitron.engine.backend.cpu;

import static dev.minitron.engine.backend.cpu.VectorKernels.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16 weights: a bf16 is the top half of a float, so widening is a 16-bit left shift. */
record Bf16Matrix(String name, MemorySegment data, int rows, int cols) implements WeightMatrix {

    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FloatVector load(long byteOffset) {
        ShortVector bits = ShortVector.fromMemorySegment(S, data, byteOffset, ByteOrder.LITTLE_ENDIAN);
        return ((IntVector) bits.convertShape(VectorOperators.S2I, I, 0))
                .lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }

    private float scalar(long byteOffset) {
        return Float.intBitsToFloat(data.get(LE_SHORT, byteOffset) << 16);
    }

    @Override
    public void matmulRows(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        for (int t0 = 0; t0 < n; t0 += TOKEN_BLOCK) {
            int t1 = Math.min(n, t0 + TOKEN_BLOCK);
            for (int r = rowFrom; r < rowTo; r++) {
                long base = (long) r * cols * 2;
                int t = t0;
                for (; t + 4 <= t1; t += 4) {
                    dot4(base, x, t, out, r);
                }
                for (; t < t1; t++) {
                    out[t * rows + r] = dot1(base, x, t * cols);
                }
            }
        }
    }

    private float dot1(long base, float[] x, int xOff) {
        int upper = F.loopBound(cols);
        FloatVector acc = FloatVector.zero(F);
        int k = 0;
        for (; k < upper; k += F.length()) {
            acc = FloatVector.fromArray(F, x, xOff + k).fma(load(base + 2L * k), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; k < cols; k++) {
            sum += x[xOff + k] * scalar(base + 2L * k);
        }
        return sum;
    }

    private void dot4(long base, float[] x, int t, float[] out, int r) {
        int upper = F.loopBound(cols);
        int x0 = t * cols;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int k = 0;
        for (; k < upper; k += F.length()) {
            FloatVector w = load(base + 2L * k);
            a0 = FloatVector.fromArray(F, x, x0 + k).fma(w, a0);
            a1 = FloatVector.fromArray(F, x, x1 + k).fma(w, a1);
            a2 = FloatVector.fromArray(F, x, x2 + k).fma(w, a2);
            a3 = FloatVector.fromArray(F, x, x3 + k).fma(w, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; k < cols; k++) {
            float w = scalar(base + 2L * k);
            s0 += w * x[x0 + k];
            s1 += w * x[x1 + k];
            s2 += w * x[x2 + k];
            s3 += w * x[x3 + k];
        }
        out[t * rows + r] = s0;
        out[(t + 1) * rows + r] = s1;
        out[(t + 2) * rows + r] = s2;
        out[(t + 3) * rows + r] = s3;
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        long base = (long) row * cols * 2;
        int upper = F.loopBound(cols);
        int k = 0;
        for (; k < upper; k += F.length()) {
            load(base + 2L * k).intoArray(dst, offset + k);
        }
        for (; k < cols; k++) {
            dst[offset + k] = scalar(base + 2L * k);
        }
    }
}
