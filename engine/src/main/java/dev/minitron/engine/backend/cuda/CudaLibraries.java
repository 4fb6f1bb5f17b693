package dev.minitron.engine.backend.cuda;

import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;

/**
 * Loads the JNI glue of the {@code org.bytedeco:cuda} presets and, through it, the host's
 * {@code libcuda.so.1} (driver), {@code libcudart.so.13} and {@code libcublas.so.13}. NVRTC is loaded
 * only when a kernel must be compiled at run time ({@link Nvrtc}). Any failure becomes one
 * {@link CudaUnavailableException} line naming the library and what to do, never a JVM crash.
 */
final class CudaLibraries {

    private static volatile String loaded;

    private CudaLibraries() {
    }

    /** Loads the driver and runtime glue, then cuBLAS; idempotent. */
    static synchronized void load() {
        if (loaded != null) {
            return;
        }
        loadOne("cudart", "libcuda.so.1 (the NVIDIA driver) and libcudart.so.13", cudart.class);
        loadOne("cublas", "libcublas.so.13 and libcublasLt.so.13", cublas.class);
        loaded = "ok";
    }

    private static void loadOne(String what, String libraries, Class<?> preset) {
        try {
            Loader.load(preset);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new CudaUnavailableException("cannot load " + libraries + " (" + what + " glue): " + firstLine(e)
                    + "; install the NVIDIA driver and CUDA 13 libraries, or put their directories on LD_LIBRARY_PATH", e);
        }
    }

    static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = String.valueOf(root.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
