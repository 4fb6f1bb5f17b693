package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packaging contract of the CUDA kernels, checkable without a GPU: every kernel source is a
 * resource under {@code cuda/} (the NVRTC fallback compiles them), they include nothing NVRTC lacks,
 * and when the build had nvcc each module's fatbin is there and holds every {@code extern "C"} entry
 * point the Java side launches, for all three dtypes.
 */
class KernelResourcesTest {

    /** Module (file stem) → kernel base names; each exists as _bf16, _f16 and _f32. */
    private static final List<Module> MODULES = List.of(
            new Module("embedding", List.of("embed")),
            new Module("layernorm", List.of("layernorm1p")),
            new Module("rope_kv", List.of("rope_kv_write")),
            new Module("activation", List.of("relu2")),
            new Module("attention", List.of("paged_attention_decode", "paged_attention_reduce", "paged_attention_prefill")));

    private static final List<String> SUFFIXES = List.of("_bf16", "_f16", "_f32");

    /** The only headers a kernel file may include: NVRTC ships the first two, the rest are ours. */
    private static final Set<String> ALLOWED_INCLUDES = Set.of("cuda_bf16.h", "cuda_fp16.h", "common.cuh");

    private static final Pattern INCLUDE = Pattern.compile("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]", Pattern.MULTILINE);

    private record Module(String stem, List<String> kernels) {
    }

    @Test
    void kernelSourcesArePackagedForNvrtc() throws IOException {
        assertThat(resource("cuda/common.cuh")).as("cuda/common.cuh resource").isNotNull();
        for (Module m : MODULES) {
            URL cu = resource("cuda/" + m.stem() + ".cu");
            assertThat(cu).as("cuda/%s.cu resource", m.stem()).isNotNull();
            String text = read(cu);
            for (String k : m.kernels()) {
                assertThat(text).as("%s.cu defines %s", m.stem(), k).contains(k + "_##");
            }
        }
    }

    @Test
    void kernelSourcesIncludeOnlyWhatNvrtcHas() throws IOException, URISyntaxException {
        java.net.URI uri = resource("cuda/common.cuh").toURI();
        org.junit.jupiter.api.Assumptions.assumeTrue("file".equals(uri.getScheme()),
                "the kernel sources are inside a jar here (checked in the build, where they are files)");
        Path dir = Path.of(uri).getParent();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh")).toList()) {
                Matcher m = INCLUDE.matcher(Files.readString(p));
                while (m.find()) {
                    String inc = m.group(1);
                    // NVRTC has the toolkit's fp16/bf16 headers; our own headers travel as resources beside the .cu
                    boolean ours = inc.endsWith(".cuh") && Files.isRegularFile(dir.resolve(inc));
                    assertThat(ALLOWED_INCLUDES.contains(inc) || ours).as("%s includes %s", p.getFileName(), inc).isTrue();
                }
            }
        }
    }

    @Test
    void fatbinsHoldEveryEntryPointWhenNvccBuiltThem() throws IOException {
        boolean expectFatbins = Files.isExecutable(Path.of("/usr/local/cuda/bin/nvcc"))
                && !Boolean.parseBoolean(System.getProperty("minitron.cuda.skip", "false"));
        for (Module m : MODULES) {
            URL fatbin = resource("cuda/" + m.stem() + ".fatbin");
            if (fatbin == null) {
                assertThat(expectFatbins).as("nvcc is installed but cuda/%s.fatbin was not built", m.stem()).isFalse();
                continue;
            }
            // ELF section names (.text.<kernel>) are stored as plain bytes in an uncompressed fatbin
            String bytes = new String(readBytes(fatbin), StandardCharsets.ISO_8859_1);
            for (String k : m.kernels()) {
                for (String suffix : SUFFIXES) {
                    assertThat(bytes).as("%s.fatbin contains %s%s", m.stem(), k, suffix).contains(".text." + k + suffix);
                }
            }
        }
    }

    private static URL resource(String name) {
        return KernelResourcesTest.class.getClassLoader().getResource(name);
    }

    private static String read(URL url) throws IOException {
        return new String(readBytes(url), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(URL url) throws IOException {
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        }
    }
}
