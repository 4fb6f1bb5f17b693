package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * One GPU's primary context (shared with cuBLAS, which uses the runtime API) and the stream all of
 * the backend's work goes to. {@link #makeCurrent()} binds the context to the calling thread; the
 * engine thread calls it at the start of every step.
 */
public final class CudaContext implements AutoCloseable {

    /** CUDA 13.0, as cuDriverGetVersion reports it: the kernels and libraries need it. */
    static final int MIN_DRIVER = 13000;

    private final int device;
    private final int ordinal;
    private final CUctx_st context;
    private final CudaStream stream;
    private final String name;
    private final int ccMajor;
    private final int ccMinor;
    private final int smCount;
    private final long totalBytes;
    private final int driverVersion;
    private boolean closed;

    private CudaContext(int ordinal) {
        CudaLibraries.load();
        int rc = cuInit(0);
        if (rc != CUDA_SUCCESS) {
            throw new CudaUnavailableException("cuInit failed: " + Cuda.errorName(rc)
                    + (rc == CUDA_ERROR_NO_DEVICE ? " (no GPU visible to this process)" : ""));
        }
        int[] version = new int[1];
        Cuda.check(cuDriverGetVersion(version), "cuDriverGetVersion");
        if (version[0] < MIN_DRIVER) {
            throw new CudaUnavailableException("the NVIDIA driver supports CUDA " + version[0] / 1000 + "."
                    + version[0] % 1000 / 10 + "; this backend is built for CUDA 13.0 or newer (driver 580+)");
        }
        this.driverVersion = version[0];
        int[] count = new int[1];
        Cuda.check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new CudaUnavailableException("GPU " + ordinal + " requested but " + count[0] + " visible");
        }
        int[] dev = new int[1];
        Cuda.check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
        this.ordinal = ordinal;
        this.device = dev[0];
        byte[] nameBytes = new byte[256];
        Cuda.check(cuDeviceGetName(nameBytes, nameBytes.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) {
            len++;
        }
        this.name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        this.ccMajor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.ccMinor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        this.smCount = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        try (SizeTPointer total = new SizeTPointer(1)) {
            Cuda.check(cuDeviceTotalMem(total, device), "cuDeviceTotalMem");
            this.totalBytes = total.get();
        }
        this.context = new CUctx_st();
        Cuda.check(cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        Cuda.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        this.stream = new CudaStream(Cuda.createStream());
    }

    /** Opens GPU {@code ordinal} (0 is the first visible one). */
    public static CudaContext open(int ordinal) {
        return new CudaContext(ordinal);
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        Cuda.check(cuDeviceGetAttribute(v, attr, device), "cuDeviceGetAttribute(" + attr + ")");
        return v[0];
    }

    /** Binds this context to the calling thread (cheap; call before any CUDA work on a new thread). */
    public void makeCurrent() {
        Cuda.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /**
     * Waits for everything on the device, including the DMA of earlier synchronous copies from
     * pageable memory (which may return before it lands, and which a non-blocking stream does not
     * wait for).
     */
    public void synchronize() {
        Cuda.check(cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public CudaStream stream() {
        return stream;
    }

    public String deviceName() {
        return name;
    }

    /** {@code sm_90} for an H100. */
    public String arch() {
        return "sm_" + ccMajor + ccMinor;
    }

    public int computeCapability() {
        return ccMajor * 10 + ccMinor;
    }

    public int multiprocessorCount() {
        return smCount;
    }

    public long totalMemoryBytes() {
        return totalBytes;
    }

    /** Device memory free right now (cuMemGetInfo). */
    public long freeMemoryBytes() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            Cuda.check(cuMemGetInfo(free, total), "cuMemGetInfo");
            return free.get();
        }
    }

    /** e.g. {@code 13000} for a CUDA 13.0 driver. */
    public int driverVersion() {
        return driverVersion;
    }

    public int ordinal() {
        return ordinal;
    }

    @Override
    public String toString() {
        return name + " (" + arch() + ", " + smCount + " SMs, " + (totalBytes >> 20) + " MiB, driver CUDA "
                + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + ")";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            stream.close();
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
