package dev.minitron.engine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** float32 weights: each row is copied into a scratch array (a memcpy) and dotted there. */
record F32Matrix(String name, MemorySegment data, int rows, int cols) implements WeightMatrix {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public void matmulRows(float[] x, int n, float[] out, int rowFrom, int rowTo) {
        float[] row = new float[cols];
        for (int t0 = 0; t0 < n; t0 += TOKEN_BLOCK) {
            int t1 = Math.min(n, t0 + TOKEN_BLOCK);
            for (int r = rowFrom; r < rowTo; r++) {
                readRow(r, row, 0);
                VectorKernels.dotRows(row, x, cols, t0, t1, out, r, rows);
            }
        }
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        MemorySegment.copy(data, LE_FLOAT, (long) row * cols * 4, dst, offset, cols);
    }
}
