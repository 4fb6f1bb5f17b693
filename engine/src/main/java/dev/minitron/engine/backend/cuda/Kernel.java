package dev.minitron.engine.backend.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;

/**
 * One {@code __global__} function of a loaded module. Arguments are passed by their Java type:
 * {@link Integer} → {@code int}, {@link Float} → {@code float}, {@link Long} → a 64-bit value
 * (a device pointer or a {@code long long}), {@link DeviceMemory} → its device pointer.
 */
public final class Kernel {

    private final String name;
    private final CUfunc_st function;

    Kernel(String name, CUfunc_st function) {
        this.name = name;
        this.function = function;
    }

    public String name() {
        return name;
    }

    CUfunc_st function() {
        return function;
    }

    /** Enqueues the kernel on {@code stream}; checks the launch's return code. */
    public void launch(CudaStream stream, Dim3 grid, Dim3 block, int sharedBytes, Object... args) {
        Cuda.launch(this, stream, grid, block, sharedBytes, args);
    }
}
