package dev.minitron.engine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** float32 weights: each row is copied into a scratch array (a memcpy) and dotted there. */
record F32Matrix(String name, MemorySegment data, int rows, int cols) implements WeightMatrix {

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public void readRow(int row, float[] dst, int offset) {
        MemorySegment.copy(data, LE_FLOAT, (long) row * cols * 4, dst, offset, cols);
    }
}
