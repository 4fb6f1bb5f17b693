package dev.minitron.engine.backend.cuda;

/**
 * CUDA cannot be used here: no driver, no GPU, or a missing or mismatched library. The message says
 * which, in one line, so {@code auto} can log it and fall back, and {@code cuda} can fail clearly.
 */
public final class CudaUnavailableException extends RuntimeException {

    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
