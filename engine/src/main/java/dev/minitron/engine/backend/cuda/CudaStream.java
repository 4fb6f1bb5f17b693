package dev.minitron.engine.backend.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;

/** A non-blocking CUDA stream of the backend's context. */
public final class CudaStream implements AutoCloseable {

    private CUstream_st stream;

    CudaStream(CUstream_st stream) {
        this.stream = stream;
    }

    CUstream_st raw() {
        if (stream == null) {
            throw new IllegalStateException("stream closed");
        }
        return stream;
    }

    /** Waits until everything enqueued so far has finished; turns an asynchronous fault into an exception. */
    public void synchronize() {
        Cuda.synchronize(this);
    }

    @Override
    public void close() {
        if (stream != null) {
            Cuda.destroyStream(stream);
            stream = null;
        }
    }
}
