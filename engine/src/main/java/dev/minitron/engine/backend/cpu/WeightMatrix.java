package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.io.TensorView;

/**
 * A 2-D weight {@code [rows, cols]} that stays in the memory-mapped checkpoint. Each storage
 * format implements the hot method, {@link #matmulRows}, with a Vector API kernel; everything
 * else (parallel matmul, embedding gather) is written once on top.
 */
sealed interface WeightMatrix permits Bf16Matrix, F16Matrix, F32Matrix {

    /**
     * Activation rows multiplied against a task's weight rows before moving to the next rows, so
     * that a long prefill re-reads weights from cache, never from memory.
     */
    int TOKEN_BLOCK = 32;

    String name();

    int rows();

    int cols();

    /**
     * The activations {@code x [n, cols]} rearranged the way {@link #matmulRows} reads them; once per
     * matmul, not per task. The identity unless a format's kernel wants another layout.
     */
    default float[] packInput(float[] x, int n) {
        return x;
    }

    /**
     * {@code out[t, r] = Σ_k x[t, k] · W[r, k]} for {@code t < n} and {@code r} in
     * {@code [rowFrom, rowTo)}; x is {@code [n, cols]} as {@link #packInput} returned it, out is {@code [n, rows]}. Every weight row is
     * read from memory once for all n tokens. The default widens each row into a scratch array with
     * {@link #readRow} and dots it there; formats with a fused kernel override it.
     */
    default void matmulRows(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        float[] row = new float[cols()];
        float[] lanes = VectorKernels.lanes();
        for (int t0 = 0; t0 < n; t0 += TOKEN_BLOCK) {
            int t1 = Math.min(n, t0 + TOKEN_BLOCK);
            for (int r = rowFrom; r < rowTo; r++) {
                readRow(r, row, 0);
                VectorKernels.dotRows(row, x, cols(), t0, t1, out, r, rows(), lanes);
            }
        }
    }

    /** Copies row {@code row} as floats into {@code dst[offset, offset + cols)}. */
    void readRow(int row, float[] dst, int offset);

    static WeightMatrix of(TensorView t) {
        if (t.rank() != 2 || t.dim(0) > Integer.MAX_VALUE || t.dim(1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(t + ": expected a 2-D matrix");
        }
        int rows = (int) t.dim(0);
        int cols = (int) t.dim(1);
        return switch (t.dtype()) {
            case BF16 -> new Bf16Matrix(t.name(), t.data(), rows, cols);
            case F16 -> new F16Matrix(t.name(), t.data(), rows, cols);
            case F32 -> new F32Matrix(t.name(), t.data(), rows, cols);
        };
    }
}
