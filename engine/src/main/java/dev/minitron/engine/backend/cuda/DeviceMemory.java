package dev.minitron.engine.backend.cuda;

import java.nio.ByteBuffer;

/**
 * One device allocation (cuMemAlloc). Copies are synchronous with respect to the host unless they
 * take a stream. Only the engine thread uses it.
 */
public final class DeviceMemory implements AutoCloseable {

    private long ptr;
    private final long bytes;

    DeviceMemory(long ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    /** Allocates {@code bytes} (at least 1) on the current context's device. */
    public static DeviceMemory allocate(long bytes) {
        return Cuda.allocate(bytes);
    }

    public long ptr() {
        if (ptr == 0) {
            throw new IllegalStateException("device memory already freed");
        }
        return ptr;
    }

    public long bytes() {
        return bytes;
    }

    /** Host → device at byte {@code offset}; the buffer's remaining bytes. Waits for the copy. */
    public void copyFrom(ByteBuffer src, long offset) {
        Cuda.copyHostToDevice(src, ptr() + offset, check(offset, src.remaining()));
    }

    public void copyFrom(int[] src, int count, long offset) {
        Cuda.copyHostToDevice(src, count, ptr() + offset, check(offset, (long) count * Integer.BYTES));
    }

    public void copyFrom(float[] src, int count, long offset) {
        Cuda.copyHostToDevice(src, count, ptr() + offset, check(offset, (long) count * Float.BYTES));
    }

    /** Device → host from byte {@code offset}; fills the buffer's remaining bytes. Waits for the copy. */
    public void copyTo(ByteBuffer dst, long offset) {
        Cuda.copyDeviceToHost(ptr() + offset, dst, check(offset, dst.remaining()));
    }

    public void copyTo(int[] dst, int count, long offset) {
        Cuda.copyDeviceToHost(ptr() + offset, dst, count, check(offset, (long) count * Integer.BYTES));
    }

    public void copyTo(float[] dst, int count, long offset) {
        Cuda.copyDeviceToHost(ptr() + offset, dst, count, check(offset, (long) count * Float.BYTES));
    }

    /** Sets every byte to zero. */
    public void zero() {
        Cuda.memsetZero(ptr(), bytes);
    }

    private long check(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > bytes) {
            throw new IndexOutOfBoundsException("copy of " + length + " bytes at " + offset + " outside " + bytes);
        }
        return length;
    }

    @Override
    public void close() {
        if (ptr != 0) {
            Cuda.free(ptr);
            ptr = 0;
        }
    }
}
