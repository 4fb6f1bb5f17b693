package dev.minitron.engine.backend.cuda;

/** A CUDA stream (CUstream) of the backend's context. */
public final class CudaStream implements AutoCloseable {

    private long handle;

    CudaStream(long handle) {
        this.handle = handle;
    }

    long handle() {
        return handle;
    }

    /** Waits until everything enqueued so far has finished; turns an asynchronous fault into an exception. */
    public void synchronize() {
        Cuda.synchronize(this);
    }

    @Override
    public void close() {
        if (handle != 0) {
            Cuda.destroyStream(handle);
            handle = 0;
        }
    }
}
