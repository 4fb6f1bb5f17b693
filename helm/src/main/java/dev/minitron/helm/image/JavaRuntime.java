package dev.minitron.helm.image;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * A Java runtime cut to what the worker uses, made by jlink from the JDK running the build (Java
 * 25): ~60 MB instead of a full JDK, and no shell or package manager in the image at all.
 */
final class JavaRuntime {

    /**
     * The worker's modules, chosen from what it and its dependencies use: logging, JMX (Kafka client
     * metrics), JNDI/DNS, java.net.http, java.sql and java.xml (Quarkus, SmallRye), java.desktop
     * (java.beans for Jackson), jdk.unsupported (Netty, LZ4, Zstd, RocksDB), the Vector API the
     * engine computes with, SASL, Kerberos and JAAS for Kafka's SASL mechanisms, extra charsets,
     * zipfs and JFR for diagnostics. WorkerImageIT boots the worker on it; a missing module shows
     * there as a NoClassDefFoundError.
     */
    static final List<String> MODULES = List.of(
            "java.base", "java.logging", "java.management", "java.naming", "java.net.http",
            "java.security.jgss", "java.security.sasl", "java.sql", "java.xml", "java.desktop",
            "jdk.unsupported", "jdk.incubator.vector", "jdk.management", "jdk.naming.dns",
            "jdk.security.auth", "jdk.security.jgss", "jdk.charsets", "jdk.zipfs", "jdk.jfr");

    private JavaRuntime() {
    }

    /**
     * jlinks the runtime into {@code target} unless an identical one (same modules, same JDK) is
     * already there: jlink costs ~10 s, and the runtime changes only with the JDK.
     */
    static Path jlink(Path target) throws IOException {
        Path stamp = target.resolveSibling(target.getFileName() + ".stamp");
        String wanted = Runtime.version() + " " + String.join(",", MODULES);
        if (Files.isExecutable(target.resolve("bin/java")) && Files.isRegularFile(stamp)
                && Files.readString(stamp).equals(wanted)) {
            return target;
        }
        deleteRecursively(target);
        Files.createDirectories(target.getParent());
        ToolProvider jlink = ToolProvider.findFirst("jlink").orElseThrow(() -> new IllegalStateException(
                "jlink is not available: build the image with a full JDK 25 (JAVA_HOME), not a JRE"));
        List<String> args = new ArrayList<>(List.of(
                "--add-modules", String.join(",", MODULES),
                "--strip-debug", "--no-header-files", "--no-man-pages", "--compress=zip-6",
                "--output", target.toString()));
        StringWriter out = new StringWriter();
        int status = jlink.run(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
        if (status != 0) {
            throw new IllegalStateException("jlink failed (" + status + "): " + out);
        }
        Files.writeString(stamp, wanted);
        return target;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
