package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.javacpp.BytePointer;

/**
 * One loaded kernel module ({@code engine/src/main/cuda/<name>.cu}). The build's fatbin is tried
 * first; if the driver finds no image for this card in it (or the jar has none), the source is
 * compiled with {@link Nvrtc} for the card's architecture. The context must be current.
 */
public final class CudaModules {

    private static final System.Logger LOG = System.getLogger(CudaModules.class.getName());

    private final String name;
    private final CUmod_st module;
    private final Map<String, Kernel> kernels = new HashMap<>();
    private final String origin;

    private CudaModules(String name, CUmod_st module, String origin) {
        this.name = name;
        this.module = module;
        this.origin = origin;
    }

    /** Loads module {@code name} for the current context's device, whose architecture is {@code arch}. */
    public static CudaModules load(String name, String arch) {
        Optional<byte[]> fatbin = KernelSources.fatbin(name);
        if (fatbin.isPresent()) {
            CUmod_st mod = new CUmod_st();
            int rc = cuModuleLoadData(mod, new BytePointer(fatbin.get()));
            if (rc == CUDA_SUCCESS) {
                return new CudaModules(name, mod, "fatbin");
            }
            LOG.log(System.Logger.Level.INFO, "kernel module {0}: the build''s fatbin does not load on {1} ({2}); compiling with NVRTC",
                    name, arch, Cuda.errorName(rc));
        }
        byte[] cubin = Nvrtc.compile(KernelSources.source(name), arch);
        CUmod_st mod = new CUmod_st();
        Cuda.check(cuModuleLoadData(mod, new BytePointer(cubin)), "cuModuleLoadData(" + name + ", NVRTC cubin)");
        return new CudaModules(name, mod, "nvrtc");
    }

    /** The kernel {@code function} of this module. */
    public Kernel kernel(String function) {
        return kernels.computeIfAbsent(function, f -> {
            CUfunc_st fn = new CUfunc_st();
            Cuda.check(cuModuleGetFunction(fn, module, f), "cuModuleGetFunction(" + name + "." + f + ")");
            return new Kernel(name + "." + f, fn);
        });
    }

    /** {@code fatbin} or {@code nvrtc}. */
    public String origin() {
        return origin;
    }

    public String name() {
        return name;
    }
}
