package dev.minitron.engine.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor of a checkpoint: row-major, little-endian elements in {@code data}, which is a slice
 * of the memory-mapped file and lives as long as the file stays open.
 */
public record TensorView(String name, DType dtype, long[] shape, MemorySegment data) {

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public TensorView {
        shape = shape.clone();
        if (data.byteSize() != numel(shape) * dtype.byteSize()) {
            throw new IllegalArgumentException(name + ": " + data.byteSize() + " bytes do not hold "
                    + Arrays.toString(shape) + " " + dtype);
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int i) {
        return shape[i];
    }

    public long numel() {
        return numel(shape);
    }

    /** Element {@code i} (flat, row-major) widened to float. */
    public float getFloat(long i) {
        return switch (dtype) {
            case BF16 -> Float.intBitsToFloat((data.get(LE_SHORT, i * 2) & 0xFFFF) << 16);
            case F16 -> Float.float16ToFloat(data.get(LE_SHORT, i * 2));
            case F32 -> data.get(LE_FLOAT, i * 4);
        };
    }

    /** All elements widened to float; for small tensors such as norm weights. */
    public float[] toFloatArray() {
        long n = numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(name + " is too large for a float[]");
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
