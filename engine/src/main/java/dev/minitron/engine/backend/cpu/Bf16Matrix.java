package dev.minitron.engine.backend.cpu;

import static dev.minitron.engine.backend.cpu.VectorKernels.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 weights. A bf16 is the top half of a float, so the kernel loads weights as ints, each
 * holding two neighbours, and widens them with one shift (the even column) and one mask (the odd
 * column), with no lane shuffles. The activations are packed once per matmul to match: each chunk
 * of {@link #CHUNK} columns becomes its even columns followed by its odd columns.
 *
 * <p>The kernels multiply 2 weight rows by 4 activation rows (or 4 rows by the 1 leftover token) at
 * a time, so each weight vector is widened once per 4 tokens and each activation vector loaded once
 * per 2 rows. Every output is
 * accumulated in the same order whichever kernel computes it: a sequence's logits do not depend on
 * how many other sequences share its batch.
 */
record Bf16Matrix(String name, MemorySegment data, int rows, int cols) implements WeightMatrix {

    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    /** Columns per vector step: one int vector holds 2·L bf16. */
    static final int CHUNK = 2 * L;
    private static final int HIGH_HALF = 0xFFFF0000;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private int vectorColumns() {
        return cols - cols % CHUNK;
    }

    private float scalar(long byteOffset) {
        return Float.intBitsToFloat(data.get(LE_SHORT, byteOffset) << 16);
    }

    /** x {@code [n, cols]} with each full chunk de-interleaved into (even columns, odd columns); the tail as is. */
    @Override
    public float[] packInput(float[] x, int n) {
        int upper = vectorColumns();
        float[] p = new float[n * cols];
        for (int t = 0; t < n; t++) {
            int base = t * cols;
            for (int c = base; c < base + upper; c += CHUNK) {
                for (int i = 0; i < L; i++) {
                    p[c + i] = x[c + 2 * i];
                    p[c + L + i] = x[c + 2 * i + 1];
                }
            }
            System.arraycopy(x, base + upper, p, base + upper, cols - upper);
        }
        return p;
    }

    @Override
    public void matmulRows(float[] xp, int n, float[] out, int rowFrom, int rowTo) {
        if (rowFrom >= rowTo) {
            return;
        }
        float[] lanes = VectorKernels.lanes();
        // A short last group repeats its last row: same arithmetic, same value, written twice.
        int last = rowTo - 1;
        int full = n / 4 * 4;
        // Tokens outermost: 4 activation rows stay in L1 while the task's weight rows (an L2's
        // worth) stream past them.
        for (int t = 0; t < full; t += 4) {
            for (int r = rowFrom; r < rowTo; r += 2) {
                rows2x4(xp, t, out, r, Math.min(r + 1, last), lanes);
            }
        }
        for (int t = full; t < n; t++) {
            for (int r = rowFrom; r < rowTo; r += 4) {
                rows4x1(xp, t, out, r, Math.min(r + 1, last), Math.min(r + 2, last), Math.min(r + 3, last), lanes);
            }
        }
    }

    private static FloatVector even(IntVector w) {
        return w.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector odd(IntVector w) {
        return w.lanewise(VectorOperators.AND, HIGH_HALF).reinterpretAsFloats();
    }

    private IntVector weights(int row, int k) {
        return IntVector.fromMemorySegment(I, data, ((long) row * cols + k) * 2, ByteOrder.LITTLE_ENDIAN);
    }

    /** s (the vector part's sum) plus the scalar tail, in the same order in every kernel. */
    private float finish(float s, int row, float[] xp, int xOff) {
        long base = (long) row * cols * 2;
        for (int k = vectorColumns(); k < cols; k++) {
            s = Math.fma(xp[xOff + k], scalar(base + 2L * k), s);
        }
        return s;
    }

    private void rows4x1(float[] xp, int t, float[] out, int r0, int r1, int r2, int r3, float[] lanes) {
        int upper = vectorColumns();
        int x0 = t * cols;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < upper; k += CHUNK) {
            FloatVector xe = FloatVector.fromArray(F, xp, x0 + k);
            FloatVector xo = FloatVector.fromArray(F, xp, x0 + k + L);
            IntVector w0 = weights(r0, k), w1 = weights(r1, k), w2 = weights(r2, k), w3 = weights(r3, k);
            a0 = odd(w0).fma(xo, even(w0).fma(xe, a0));
            a1 = odd(w1).fma(xo, even(w1).fma(xe, a1));
            a2 = odd(w2).fma(xo, even(w2).fma(xe, a2));
            a3 = odd(w3).fma(xo, even(w3).fma(xe, a3));
        }
        // Stored before any call: a vector passed to a method that is not inlined would be boxed.
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        int o = t * rows;
        out[o + r0] = finish(VectorKernels.sumLanes(lanes, 0), r0, xp, x0);
        out[o + r1] = finish(VectorKernels.sumLanes(lanes, L), r1, xp, x0);
        out[o + r2] = finish(VectorKernels.sumLanes(lanes, 2 * L), r2, xp, x0);
        out[o + r3] = finish(VectorKernels.sumLanes(lanes, 3 * L), r3, xp, x0);
    }

    private void rows2x4(float[] xp, int t, float[] out, int r0, int r1, float[] lanes) {
        int upper = vectorColumns();
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector z = FloatVector.zero(F);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        for (int k = 0; k < upper; k += CHUNK) {
            FloatVector e0 = FloatVector.fromArray(F, xp, x0 + k), o0 = FloatVector.fromArray(F, xp, x0 + k + L);
            FloatVector e1 = FloatVector.fromArray(F, xp, x1 + k), o1 = FloatVector.fromArray(F, xp, x1 + k + L);
            FloatVector e2 = FloatVector.fromArray(F, xp, x2 + k), o2 = FloatVector.fromArray(F, xp, x2 + k + L);
            FloatVector e3 = FloatVector.fromArray(F, xp, x3 + k), o3 = FloatVector.fromArray(F, xp, x3 + k + L);
            IntVector w = weights(r0, k);
            FloatVector we = even(w), wo = odd(w);
            a00 = wo.fma(o0, we.fma(e0, a00));
            a01 = wo.fma(o1, we.fma(e1, a01));
            a02 = wo.fma(o2, we.fma(e2, a02));
            a03 = wo.fma(o3, we.fma(e3, a03));
            w = weights(r1, k);
            we = even(w);
            wo = odd(w);
            a10 = wo.fma(o0, we.fma(e0, a10));
            a11 = wo.fma(o1, we.fma(e1, a11));
            a12 = wo.fma(o2, we.fma(e2, a12));
            a13 = wo.fma(o3, we.fma(e3, a13));
        }
        a00.intoArray(lanes, 0);
        a01.intoArray(lanes, L);
        a02.intoArray(lanes, 2 * L);
        a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L);
        a11.intoArray(lanes, 5 * L);
        a12.intoArray(lanes, 6 * L);
        a13.intoArray(lanes, 7 * L);
        int o = t * rows;
        for (int j = 0; j < 4; j++) {
            int xj = x0 + j * cols;
            out[o + j * rows + r0] = finish(VectorKernels.sumLanes(lanes, j * L), r0, xp, xj);
            out[o + j * rows + r1] = finish(VectorKernels.sumLanes(lanes, (4 + j) * L), r1, xp, xj);
        }
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        long base = (long) row * cols * 2;
        for (int k = 0; k < cols; k++) {
            dst[offset + k] = scalar(base + 2L * k);
        }
    }
}
