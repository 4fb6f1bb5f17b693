package dev.minitron.engine.backend.cuda;

// STUB: lead replaces (the real class opens the device's primary context and its stream).
/** One GPU's context and stream. */
public final class CudaContext implements AutoCloseable {

    private CudaContext() {
    }

    public static CudaContext open(int ordinal) {
        throw new CudaUnavailableException("STUB: CudaContext is written by the lead");
    }

    public CudaStream stream() {
        throw new UnsupportedOperationException("STUB");
    }

    /** {@code sm_90} for an H100. */
    public String arch() {
        throw new UnsupportedOperationException("STUB");
    }

    @Override
    public void close() {
    }
}
