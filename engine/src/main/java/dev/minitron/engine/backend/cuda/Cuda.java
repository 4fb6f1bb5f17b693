package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.nio.ByteBuffer;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The driver API calls the backend makes, each checked: an error becomes a {@link CudaException}
 * naming the call and the driver's error name. Only the engine thread calls these (plus the thread
 * that loads the backend, before the engine starts).
 */
final class Cuda {

    private static final int MAX_ARGS = 32;
    /** Kernel arguments: one 8-byte slot per argument, and the {@code void**} array pointing at them. */
    private static BytePointer argValues;
    private static PointerPointer<Pointer> argPointers;

    private Cuda() {
    }

    static void check(int result, String call) {
        if (result != CUDA_SUCCESS) {
            throw new CudaException(call + " failed: " + errorName(result) + " (" + result + ")", result);
        }
    }

    static String errorName(int result) {
        BytePointer name = new BytePointer((Pointer) null);
        BytePointer text = new BytePointer((Pointer) null);
        String n = cuGetErrorName(result, name) == CUDA_SUCCESS && !name.isNull() ? name.getString() : "CUDA error";
        String t = cuGetErrorString(result, text) == CUDA_SUCCESS && !text.isNull() ? text.getString() : "";
        return t.isEmpty() ? n : n + ": " + t;
    }

    static DeviceMemory allocate(long bytes) {
        long size = Math.max(1, bytes);
        long[] ptr = new long[1];
        int rc = cuMemAlloc(ptr, size);
        if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
            throw new CudaException("cuMemAlloc of " + (size >> 20) + " MiB failed: out of device memory", rc);
        }
        check(rc, "cuMemAlloc(" + size + ")");
        return new DeviceMemory(ptr[0], size);
    }

    static void free(long ptr) {
        cuMemFree(ptr); // never throws: called from close paths
    }

    static void copyHostToDevice(ByteBuffer src, long dst, long bytes) {
        if (bytes == 0) {
            return;
        }
        if (src.isDirect()) {
            check(cuMemcpyHtoD(dst, new BytePointer(src).position(src.position()), bytes), "cuMemcpyHtoD");
        } else {
            try (BytePointer p = new BytePointer(bytes)) {
                byte[] a = new byte[(int) bytes];
                src.duplicate().get(a);
                p.put(a);
                check(cuMemcpyHtoD(dst, p, bytes), "cuMemcpyHtoD");
            }
        }
    }

    /** Host memory at a raw address (e.g. a memory-mapped checkpoint) → device. */
    static void copyHostAddressToDevice(long hostAddress, long dst, long bytes) {
        if (bytes > 0) {
            check(cuMemcpyHtoD(dst, new RawPointer(hostAddress, bytes), bytes), "cuMemcpyHtoD");
        }
    }

    static void copyHostToDevice(int[] src, int count, long dst, long bytes) {
        if (count == 0) {
            return;
        }
        try (IntPointer p = new IntPointer(count)) {
            p.put(src, 0, count);
            check(cuMemcpyHtoD(dst, p, bytes), "cuMemcpyHtoD");
        }
    }

    static void copyHostToDevice(float[] src, int count, long dst, long bytes) {
        if (count == 0) {
            return;
        }
        try (FloatPointer p = new FloatPointer(count)) {
            p.put(src, 0, count);
            check(cuMemcpyHtoD(dst, p, bytes), "cuMemcpyHtoD");
        }
    }

    static void copyDeviceToHost(long src, ByteBuffer dst, long bytes) {
        if (bytes == 0) {
            return;
        }
        if (dst.isDirect()) {
            check(cuMemcpyDtoH(new BytePointer(dst).position(dst.position()), src, bytes), "cuMemcpyDtoH");
        } else {
            try (BytePointer p = new BytePointer(bytes)) {
                check(cuMemcpyDtoH(p, src, bytes), "cuMemcpyDtoH");
                byte[] a = new byte[(int) bytes];
                p.get(a);
                dst.duplicate().put(a);
            }
        }
    }

    static void copyDeviceToHost(long src, int[] dst, int count, long bytes) {
        if (count == 0) {
            return;
        }
        try (IntPointer p = new IntPointer(count)) {
            check(cuMemcpyDtoH(p, src, bytes), "cuMemcpyDtoH");
            p.get(dst, 0, count);
        }
    }

    static void copyDeviceToHost(long src, float[] dst, int count, long bytes) {
        if (count == 0) {
            return;
        }
        try (FloatPointer p = new FloatPointer(count)) {
            check(cuMemcpyDtoH(p, src, bytes), "cuMemcpyDtoH");
            p.get(dst, 0, count);
        }
    }

    /** Pinned host → device on {@code stream}; the host memory must stay untouched until the stream passes it. */
    static void copyPinnedToDeviceAsync(PinnedBuffer src, long srcOffset, long dst, long bytes, CudaStream stream) {
        if (bytes > 0) {
            check(cuMemcpyHtoDAsync(dst, new RawPointer(src.address() + srcOffset, bytes), bytes, stream.raw()),
                    "cuMemcpyHtoDAsync");
        }
    }

    /** Device → pinned host on {@code stream}; valid once the stream is synchronized. */
    static void copyDeviceToPinnedAsync(long src, PinnedBuffer dst, long dstOffset, long bytes, CudaStream stream) {
        if (bytes > 0) {
            check(cuMemcpyDtoHAsync(new RawPointer(dst.address() + dstOffset, bytes), src, bytes, stream.raw()),
                    "cuMemcpyDtoHAsync");
        }
    }

    static void memsetZero(long ptr, long bytes) {
        check(cuMemsetD8(ptr, (byte) 0, bytes), "cuMemsetD8");
    }

    static synchronized void launch(Kernel kernel, CudaStream stream, Dim3 grid, Dim3 block, int sharedBytes, Object... args) {
        if (args.length > MAX_ARGS) {
            throw new IllegalArgumentException(kernel.name() + ": more than " + MAX_ARGS + " arguments");
        }
        if (argValues == null) {
            argValues = new BytePointer(8L * MAX_ARGS);
            argPointers = new PointerPointer<>(MAX_ARGS);
            for (int i = 0; i < MAX_ARGS; i++) {
                argPointers.put(i, new RawPointer(argValues.address() + 8L * i, 8));
            }
        }
        for (int i = 0; i < args.length; i++) {
            long at = 8L * i;
            switch (args[i]) {
                case Integer v -> argValues.putInt(at, v);
                case Float v -> argValues.putFloat(at, v);
                case Long v -> argValues.putLong(at, v);
                case DeviceMemory m -> argValues.putLong(at, m.ptr());
                case null -> argValues.putLong(at, 0L);
                default -> throw new IllegalArgumentException(kernel.name() + ": argument " + i + " has unsupported type "
                        + args[i].getClass().getSimpleName());
            }
        }
        check(cuLaunchKernel(kernel.function(), grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(),
                sharedBytes, stream.raw(), argPointers, null), "cuLaunchKernel(" + kernel.name() + ")");
    }

    static void synchronize(CudaStream stream) {
        check(cuStreamSynchronize(stream.raw()), "cuStreamSynchronize");
    }

    static CUstream_st createStream() {
        CUstream_st s = new CUstream_st();
        check(cuStreamCreate(s, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        return s;
    }

    static void destroyStream(CUstream_st stream) {
        cuStreamDestroy(stream);
    }

    /** A JavaCPP pointer at a raw address that it does not own (device pointers, mapped files, pinned memory). */
    static final class RawPointer extends BytePointer {
        RawPointer(long address, long bytes) {
            super((Pointer) null);
            this.address = address;
            this.position = 0;
            this.limit = bytes;
            this.capacity = bytes;
        }
    }

    static LongPointer longs(long... values) {
        return new LongPointer(values);
    }
}
