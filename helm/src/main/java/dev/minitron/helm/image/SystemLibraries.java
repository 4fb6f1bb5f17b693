package dev.minitron.helm.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The C libraries the Java runtime links against, taken from the build host: the image has no
 * base, so without them {@code bin/java} has no dynamic loader and no libc. {@code ldd} on every ELF
 * file of the jlinked runtime names them; libstdc++/libgcc_s are added for the JNI libraries inside
 * the app's jars (RocksDB, zstd, brotli), which are only unpacked at run time. They keep their host
 * paths, so the loader's default search path finds them.
 */
final class SystemLibraries {

    /** Needed by JNI code in the dependencies, invisible to ldd on the runtime. */
    private static final List<String> FOR_JNI = List.of("libstdc++.so.6", "libgcc_s.so.1", "libz.so.1");

    /** java.desktop's X11/sound natives: the worker is headless and never loads them (no libX11 in the image). */
    private static final Set<String> HEADLESS_SKIP = Set.of("libawt_xawt.so", "libsplashscreen.so", "libjawt.so",
            "libjsound.so");

    private static final Pattern LDD_PATH = Pattern.compile("(?:=>\\s+)?(/\\S+)\\s+\\(0x");

    private SystemLibraries() {
    }

    static Set<Path> of(Path runtime) throws IOException, InterruptedException {
        Set<Path> libraries = new TreeSet<>();
        try (Stream<Path> files = Files.walk(runtime)) {
            for (Path file : files.filter(SystemLibraries::isElf)
                    .filter(f -> !HEADLESS_SKIP.contains(f.getFileName().toString())).toList()) {
                collect(run("ldd", file.toString()), runtime, libraries);
            }
        }
        String cache = run("/sbin/ldconfig", "-p");
        for (String name : FOR_JNI) {
            Matcher m = Pattern.compile("\\s" + Pattern.quote(name) + " \\(libc6,x86-64\\) => (\\S+)").matcher(cache);
            if (!m.find()) {
                throw new IllegalStateException(name + " is not installed on the build host (ldconfig -p)");
            }
            libraries.add(Path.of(m.group(1)));
        }
        if (libraries.stream().noneMatch(p -> p.getFileName().toString().startsWith("ld-linux"))) {
            throw new IllegalStateException("ldd named no dynamic loader for " + runtime + ": " + libraries);
        }
        return libraries;
    }

    private static void collect(String lddOutput, Path runtime, Set<Path> into) {
        for (String line : lddOutput.split("\n")) {
            Matcher m = LDD_PATH.matcher(line);
            if (m.find()) {
                Path library = Path.of(m.group(1)).normalize();
                if (!library.startsWith(runtime.toAbsolutePath().normalize())) {
                    into.add(library);
                }
            }
        }
    }

    private static boolean isElf(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        } catch (IOException e) {
            return false;
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int status = p.waitFor();
        if (status != 0 && !command[0].equals("ldd")) { // ldd exits 1 on "not a dynamic executable"
            throw new IOException(String.join(" ", command) + " exited " + status + ": " + out);
        }
        return out;
    }
}
