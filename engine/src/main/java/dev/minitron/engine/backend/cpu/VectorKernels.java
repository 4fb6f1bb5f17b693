package dev.minitron.engine.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Vector API kernels over float arrays: the dot products under attention and the F16/F32 weights. */
final class VectorKernels {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private VectorKernels() {
    }

    /**
     * The lanes of v added in lane order, through {@code lanes} (scratch of at least {@code F.length()}).
     * {@code reduceLanes(ADD)} leaves the order unspecified: the interpreter adds lane by lane, compiled
     * code a tree, so its bits change as the JIT warms up; these do not. A sequence's logits must not
     * change with the JIT's progress or its batch neighbours (seeded sampling depends on it).
     * (Reducing with {@code slice} would also be fixed-order but allocates a vector per call.)
     */
    static float sum(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        return sumLanes(lanes, 0);
    }

    /** lanes[off] + lanes[off + 1] + … over one vector's worth, in that order (see {@link #sum}). */
    static float sumLanes(float[] lanes, int off) {
        float s = lanes[off];
        for (int i = 1; i < F.length(); i++) {
            s += lanes[off + i];
        }
        return s;
    }

    /** Scratch for {@link #sum}: room for 8 vectors, so a kernel can store all its accumulators at once. */
    static float[] lanes() {
        return new float[8 * F.length()];
    }

    /** Σ a[aOff + i] · b[bOff + i] for i < len. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int len, float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = sum(acc, lanes);
        for (; i < len; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    /** y[yOff + i] += a · x[xOff + i] for i < len. */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int len) {
        FloatVector va = FloatVector.broadcast(F, a);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    /**
     * out[outOff + t · outStride] = w[0, len) · x[t · len, (t + 1) · len) for t in [tFrom, tTo): one
     * weight row against many activation rows, loading each weight vector once per four rows.
     */
    static void dotRows(float[] w, float[] x, int len, int tFrom, int tTo, float[] out, int outOff, int outStride,
                        float[] lanes) {
        int upper = F.loopBound(len);
        int t = tFrom;
        for (; t + 4 <= tTo; t += 4) {
            int x0 = t * len;
            int x1 = x0 + len;
            int x2 = x1 + len;
            int x3 = x2 + len;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            int k = 0;
            for (; k < upper; k += F.length()) {
                FloatVector wv = FloatVector.fromArray(F, w, k);
                a0 = FloatVector.fromArray(F, x, x0 + k).fma(wv, a0);
                a1 = FloatVector.fromArray(F, x, x1 + k).fma(wv, a1);
                a2 = FloatVector.fromArray(F, x, x2 + k).fma(wv, a2);
                a3 = FloatVector.fromArray(F, x, x3 + k).fma(wv, a3);
            }
            float s0 = sum(a0, lanes), s1 = sum(a1, lanes);
            float s2 = sum(a2, lanes), s3 = sum(a3, lanes);
            for (; k < len; k++) {
                s0 += w[k] * x[x0 + k];
                s1 += w[k] * x[x1 + k];
                s2 += w[k] * x[x2 + k];
                s3 += w[k] * x[x3 + k];
            }
            out[outOff + t * outStride] = s0;
            out[outOff + (t + 1) * outStride] = s1;
            out[outOff + (t + 2) * outStride] = s2;
            out[outOff + (t + 3) * outStride] = s3;
        }
        for (; t < tTo; t++) {
            out[outOff + t * outStride] = dot(w, 0, x, t * len, len, lanes);
        }
    }
}
