package dev.minitron.engine.backend.cuda;

/** A CUDA, cuBLAS or NVRTC call returned an error. The message names the call and the error. */
public final class CudaException extends RuntimeException {

    private final int code;

    public CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The library's status code (CUresult, cublasStatus_t or nvrtcResult). */
    public int code() {
        return code;
    }
}
