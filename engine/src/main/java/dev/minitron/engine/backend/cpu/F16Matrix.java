package dev.minitron.engine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * float16 weights. The Vector API has no half-float conversion yet, so each row is widened with
 * the (intrinsified) {@link Float#float16ToFloat} into a scratch array and dotted there.
 */
record F16Matrix(String name, MemorySegment data, int rows, int cols) implements WeightMatrix {

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public void readRow(int row, float[] dst, int offset) {
        long base = (long) row * cols * 2;
        for (int k = 0; k < cols; k++) {
            dst[offset + k] = Float.float16ToFloat(data.get(LE_SHORT, base + 2L * k));
        }
    }
}
