package dev.minitron.engine.backend.cuda;

import java.nio.ByteBuffer;

/** The driver API calls the backend makes, each checked. (Being written.) */
final class Cuda {

    private Cuda() {
    }

    static DeviceMemory allocate(long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void free(long ptr) {
    }

    static void copyHostToDevice(ByteBuffer src, long dst, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void copyHostToDevice(int[] src, int count, long dst, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void copyHostToDevice(float[] src, int count, long dst, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void copyDeviceToHost(long src, ByteBuffer dst, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void copyDeviceToHost(long src, int[] dst, int count, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void copyDeviceToHost(long src, float[] dst, int count, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void memsetZero(long ptr, long bytes) {
        throw new UnsupportedOperationException("not yet");
    }

    static void launch(Kernel kernel, CudaStream stream, Dim3 grid, Dim3 block, int sharedBytes, Object... args) {
        throw new UnsupportedOperationException("not yet");
    }

    static void synchronize(CudaStream stream) {
        throw new UnsupportedOperationException("not yet");
    }

    static void destroyStream(long handle) {
    }
}
