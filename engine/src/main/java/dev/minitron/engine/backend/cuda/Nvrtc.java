package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.nvrtc.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Compiles a kernel module at run time for the card's architecture, when the build's fatbin does
 * not cover it (a newer card, or a jar built without nvcc). Results are cached on disk by
 * {@link KernelSources.Source#cacheKey}, so a card pays the compile once.
 */
final class Nvrtc {

    private static final System.Logger LOG = System.getLogger(Nvrtc.class.getName());

    private Nvrtc() {
    }

    static List<String> options(String arch) {
        List<String> o = new ArrayList<>(List.of("--gpu-architecture=" + arch, "-std=c++17", "-default-device"));
        for (String dir : includeDirs()) {
            o.add("--include-path=" + dir);
        }
        return o;
    }

    /** Where cuda_bf16.h and cuda_fp16.h live: $CUDA_HOME/include, /usr/local/cuda/include. */
    static List<String> includeDirs() {
        List<String> dirs = new ArrayList<>();
        String home = System.getenv("CUDA_HOME");
        for (String d : new String[] {home == null ? null : home + "/include", "/usr/local/cuda/include"}) {
            if (d != null && Files.isRegularFile(Path.of(d, "cuda_bf16.h"))) {
                dirs.add(d);
            }
        }
        return dirs;
    }

    static Path cacheDir() {
        String configured = System.getProperty("minitron.cuda.cacheDir", System.getenv("MINITRON_CUDA_CACHE"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path home = Path.of(System.getProperty("user.home", "/tmp"), ".cache", "minitron", "cuda");
        return Files.isWritable(home.getParent().getParent()) || Files.isDirectory(home) ? home
                : Path.of(System.getProperty("java.io.tmpdir"), "minitron-cuda");
    }

    /** The module compiled for {@code arch} (e.g. {@code sm_90}): a cubin, from the cache or from NVRTC. */
    static byte[] compile(KernelSources.Source src, String arch) {
        List<String> options = options(arch);
        String key = src.cacheKey(options, arch);
        Path cached = cacheDir().resolve(key + ".cubin");
        try {
            if (Files.isRegularFile(cached)) {
                return Files.readAllBytes(cached);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read cached kernel {0}: {1}", cached, e.getMessage());
        }
        try {
            Loader.load(org.bytedeco.cuda.global.nvrtc.class);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new CudaUnavailableException("the engine's kernels have no build for " + arch
                    + " and libnvrtc.so.13 cannot be loaded to compile them: " + CudaLibraries.firstLine(e), e);
        }
        long start = System.nanoTime();
        byte[] cubin = nvrtcCompile(src, options);
        LOG.log(System.Logger.Level.INFO, "compiled kernel module {0} for {1} with NVRTC in {2} ms", src.module(), arch,
                (System.nanoTime() - start) / 1_000_000);
        try {
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), key, ".tmp");
            Files.write(tmp, cubin);
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot cache kernel {0}: {1}", cached, e.getMessage());
        }
        return cubin;
    }

    private static byte[] nvrtcCompile(KernelSources.Source src, List<String> options) {
        int nh = src.headers().size();
        PointerPointer<BytePointer> headerTexts = new PointerPointer<>(Math.max(1, nh));
        PointerPointer<BytePointer> headerNames = new PointerPointer<>(Math.max(1, nh));
        int i = 0;
        for (var h : src.headers().entrySet()) {
            headerNames.put(i, new BytePointer(h.getKey()));
            headerTexts.put(i, new BytePointer(h.getValue()));
            i++;
        }
        _nvrtcProgram program = new _nvrtcProgram();
        check(nvrtcCreateProgram(program, new BytePointer(src.source()), new BytePointer(src.module() + ".cu"), nh,
                headerTexts, headerNames), "nvrtcCreateProgram");
        try {
            PointerPointer<BytePointer> opts = new PointerPointer<>(options.size());
            for (int j = 0; j < options.size(); j++) {
                opts.put(j, new BytePointer(options.get(j)));
            }
            int rc = nvrtcCompileProgram(program, options.size(), opts);
            if (rc != NVRTC_SUCCESS) {
                throw new CudaException("NVRTC could not compile " + src.module() + ".cu: " + log(program), rc);
            }
            try (SizeTPointer size = new SizeTPointer(1)) {
                check(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
                byte[] cubin = new byte[(int) size.get()];
                check(nvrtcGetCUBIN(program, cubin), "nvrtcGetCUBIN");
                return cubin;
            }
        } finally {
            nvrtcDestroyProgram(program);
        }
    }

    private static String log(_nvrtcProgram program) {
        try (SizeTPointer size = new SizeTPointer(1)) {
            if (nvrtcGetProgramLogSize(program, size) != NVRTC_SUCCESS || size.get() <= 1) {
                return "(no log)";
            }
            byte[] text = new byte[(int) size.get()];
            nvrtcGetProgramLog(program, text);
            String s = new String(text, 0, text.length - 1, java.nio.charset.StandardCharsets.UTF_8);
            return s.length() > 4000 ? s.substring(0, 4000) + "…" : s;
        }
    }

    private static void check(int rc, String call) {
        if (rc != NVRTC_SUCCESS) {
            throw new CudaException(call + " failed: " + nvrtcGetErrorString(rc).getString(), rc);
        }
    }
}
