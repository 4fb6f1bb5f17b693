package dev.minitron.engine.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernels as shipped in the engine jar under {@code cuda/}: {@code <module>.fatbin} (built by
 * nvcc at build time for sm_80/sm_90 + compute_90 PTX) and {@code <module>.cu} with the headers it
 * includes, for NVRTC on cards the fatbin does not cover. Pure Java (no device needed).
 */
final class KernelSources {

    private static final Pattern INCLUDE = Pattern.compile("^\\s*#\\s*include\\s+\"([^\"]+)\"", Pattern.MULTILINE);

    private KernelSources() {
    }

    /** The nvcc-built fatbin of {@code module}, if the build had nvcc. */
    static Optional<byte[]> fatbin(String module) {
        return resource("cuda/" + module + ".fatbin");
    }

    /** The module's source and, transitively, every header it includes with {@code #include "…"}. */
    record Source(String module, String source, Map<String, String> headers) {

        /**
         * The NVRTC cache key: a digest of everything that decides the compiled code — the source,
         * every header, the options and the target architecture.
         */
        String cacheKey(List<String> options, String arch) {
            try {
                MessageDigest d = MessageDigest.getInstance("SHA-256");
                update(d, module);
                update(d, source);
                for (var h : headers.entrySet()) {
                    update(d, h.getKey());
                    update(d, h.getValue());
                }
                for (String o : options) {
                    update(d, o);
                }
                update(d, arch);
                return module + "-" + arch + "-" + HexFormat.of().formatHex(d.digest(), 0, 12);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void update(MessageDigest d, String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            d.update((byte) (b.length >>> 24));
            d.update((byte) (b.length >>> 16));
            d.update((byte) (b.length >>> 8));
            d.update((byte) b.length);
            d.update(b);
        }
    }

    static Source source(String module) {
        String main = resource("cuda/" + module + ".cu").map(b -> new String(b, StandardCharsets.UTF_8))
                .orElseThrow(() -> new CudaUnavailableException("kernel source cuda/" + module + ".cu is not in the engine jar"));
        Map<String, String> headers = new LinkedHashMap<>();
        collectHeaders(main, headers);
        return new Source(module, main, headers);
    }

    private static void collectHeaders(String text, Map<String, String> headers) {
        Matcher m = INCLUDE.matcher(text);
        while (m.find()) {
            String name = m.group(1);
            if (!headers.containsKey(name)) {
                String h = resource("cuda/" + name).map(b -> new String(b, StandardCharsets.UTF_8))
                        .orElseThrow(() -> new CudaUnavailableException("kernel header cuda/" + name + " is not in the engine jar"));
                headers.put(name, h);
                collectHeaders(h, headers);
            }
        }
    }

    private static Optional<byte[]> resource(String name) {
        try (InputStream in = KernelSources.class.getClassLoader().getResourceAsStream(name)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
