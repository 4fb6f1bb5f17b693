package dev.minitron.engine.devcheck;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.nvrtc;

/**
 * Run by {@code engine/scripts/gpu-check.sh device} before the CUDA tests: does the org.bytedeco
 * JNI glue load against the GPU host's libcudart/libcublas/libnvrtc (found on LD_LIBRARY_PATH), and
 * what versions do they report? One line per library, {@code OK} or {@code FAIL}; exit status = failures.
 * Independent of the engine's own CUDA backend, so a failure here says "libraries", not "our code".
 */
public final class CudaJniCheck {

    private CudaJniCheck() {
    }

    public static void main(String[] args) {
        int failures = 0;
        failures += check("cudart", () -> {
            int[] driver = {0};
            int[] runtime = {0};
            int[] count = {0};
            int e1 = cudart.cudaDriverGetVersion(driver);
            int e2 = cudart.cudaRuntimeGetVersion(runtime);
            int e3 = cudart.cudaGetDeviceCount(count);
            if (e1 != 0 || e2 != 0 || e3 != 0) {
                throw new IllegalStateException("errors " + e1 + "/" + e2 + "/" + e3 + ": "
                        + cudart.cudaGetErrorString(e3 != 0 ? e3 : e1 != 0 ? e1 : e2).getString());
            }
            return "driver " + driver[0] + ", runtime " + runtime[0] + ", devices " + count[0];
        });
        failures += check("cublas", () -> {
            cublasContext handle = new cublasContext();
            int e = cublas.cublasCreate_v2(handle);
            if (e != 0) {
                throw new IllegalStateException("cublasCreate error " + e);
            }
            int[] version = {0};
            cublas.cublasGetVersion_v2(handle, version);
            cublas.cublasDestroy_v2(handle);
            return "version " + version[0];
        });
        failures += check("nvrtc", () -> {
            int[] major = {0};
            int[] minor = {0};
            int e = nvrtc.nvrtcVersion(major, minor);
            if (e != 0) {
                throw new IllegalStateException("nvrtcVersion error " + e);
            }
            return "version " + major[0] + "." + minor[0];
        });
        System.exit(failures);
    }

    private interface Probe {
        String run() throws Exception;
    }

    private static int check(String name, Probe probe) {
        try {
            System.out.println("OK   jni " + name + ": " + probe.run());
            return 0;
        } catch (Throwable t) {
            System.out.println("FAIL jni " + name + ": " + t);
            return 1;
        }
    }
}
