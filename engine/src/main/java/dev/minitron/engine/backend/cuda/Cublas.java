package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

import dev.minitron.engine.io.DType;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The projections and lm_head through cuBLAS: {@code Y[n, out] (+)= X[n, in] · W[out, in]ᵀ} with W
 * and X in the model's dtype, Y in fp32, fp32 accumulation ({@code CUBLAS_COMPUTE_32F}: no TF32, so
 * an fp32 checkpoint computes in true fp32). Row-major Y is column-major Yᵀ = W·Xᵀ, hence
 * {@code op(A)=T} on W. A workspace of our own keeps cuBLAS allocation-free under graph capture.
 */
final class Cublas implements AutoCloseable {

    private static final long WORKSPACE_BYTES = 32L << 20;

    private final cublasContext handle = new cublasContext();
    private final int dataType;
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer zero = new FloatPointer(0f);
    private final DeviceMemory workspace;
    private final int version;

    Cublas(CudaStream stream, DType dtype) {
        check(cublasCreate_v2(handle), "cublasCreate");
        check(cublasSetStream_v2(handle, stream.raw()), "cublasSetStream");
        this.workspace = DeviceMemory.allocate(WORKSPACE_BYTES);
        check(cublasSetWorkspace_v2(handle, new Cuda.RawPointer(workspace.ptr(), WORKSPACE_BYTES), WORKSPACE_BYTES),
                "cublasSetWorkspace");
        this.dataType = dataType(dtype);
        int[] v = new int[1];
        check(cublasGetVersion_v2(handle, v), "cublasGetVersion");
        this.version = v[0];
    }

    static int dataType(DType dtype) {
        return switch (dtype) {
            case BF16 -> CUDA_R_16BF;
            case F16 -> CUDA_R_16F;
            case F32 -> CUDA_R_32F;
            default -> throw new IllegalArgumentException("no cuBLAS path for " + dtype);
        };
    }

    /** e.g. 130100 for cuBLAS 13.1.0. */
    int version() {
        return version;
    }

    /**
     * {@code y[n, out] = x[n, in] · w[out, in]ᵀ}, or {@code +=} when {@code accumulate}.
     *
     * @param w device pointer, model dtype, row-major [out, in]
     * @param x device pointer, model dtype, row-major [n, in]
     * @param y device pointer, fp32, row-major [n, out]
     */
    void linear(long w, long x, long y, int n, int out, int in, boolean accumulate) {
        check(cublasGemmEx(handle, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, one,
                new Cuda.RawPointer(w, 0), dataType, in,
                new Cuda.RawPointer(x, 0), dataType, in,
                accumulate ? one : zero,
                new Cuda.RawPointer(y, 0), CUDA_R_32F, out,
                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT), "cublasGemmEx(" + n + "×" + in + " · " + out + "×" + in + "ᵀ)");
    }

    static void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            String text = cublasGetStatusString(status) == null ? "" : cublasGetStatusString(status).getString();
            throw new CudaException(call + " failed: " + text + " (" + status + ")", status);
        }
    }

    @Override
    public void close() {
        cublasDestroy_v2(handle);
        workspace.close();
    }
}
