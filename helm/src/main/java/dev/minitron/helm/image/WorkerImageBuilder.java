package dev.minitron.helm.image;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the worker's OCI image as a tarball, offline, with no Docker: a jlinked Java 25 runtime
 * and Quarkus' fast-jar layout on an empty base, in five layers ordered from least to most often
 * changed (the host's C libraries, runtime, dependencies, Quarkus' generated code, the worker
 * itself), so a registry push after a code change moves a few hundred KB.
 *
 * <p>Usage: {@code WorkerImageBuilder <quarkus-app dir> <image.tar> <image name> <work dir>}.
 */
public final class WorkerImageBuilder {

    static final String JAVA_HOME = "/opt/java";
    static final String APP_DIR = "/deployments";
    /** Non-root, numeric (Kubernetes' runAsNonRoot can only verify a numeric user); the chart runs as it. */
    static final String USER = "10001:10001";
    static final int HTTP_PORT = 8080;
    /** The worker's JVM flags (README, .mvn): Vector API, native access for the CUDA bindings. */
    static final List<String> ENTRYPOINT = List.of(
            JAVA_HOME + "/bin/java",
            "--add-modules", "jdk.incubator.vector",
            "--enable-native-access=ALL-UNNAMED",
            "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
            // the root file system is read-only: scratch space (Vert.x, native libraries) is /tmp
            "-Djava.io.tmpdir=/tmp", "-Duser.home=/tmp",
            "-jar", APP_DIR + "/quarkus-run.jar");

    private WorkerImageBuilder() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: WorkerImageBuilder <quarkus-app dir> <image.tar> <image name> <work dir>");
        }
        long start = System.nanoTime();
        Path tar = build(Path.of(args[0]), Path.of(args[1]), args[2], Path.of(args[3]));
        System.out.printf("[minitron] worker image %s written to %s (%d MB) in %.1f s%n", args[2], tar,
                Files.size(tar) >> 20, (System.nanoTime() - start) / 1e9);
    }

    static Path build(Path quarkusApp, Path tar, String imageName, Path workDir) throws Exception {
        if (!Files.isRegularFile(quarkusApp.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(quarkusApp + "/quarkus-run.jar is missing: build the worker first "
                    + "(./mvnw -pl worker -am package -DskipTests), or build the whole reactor");
        }
        Path runtime = JavaRuntime.jlink(workDir.resolve("java-runtime"));
        AbsoluteUnixPath app = AbsoluteUnixPath.get(APP_DIR);
        JibContainer container = Jib.fromScratch()
                .setFormat(ImageFormat.OCI)
                .addFileEntriesLayer(systemLayer(runtime, workDir))
                .addFileEntriesLayer(layer("java-runtime", runtime, AbsoluteUnixPath.get(JAVA_HOME)))
                .addFileEntriesLayer(layer("dependencies", quarkusApp.resolve("lib"), app.resolve("lib")))
                .addFileEntriesLayer(FileEntriesLayer.builder().setName("quarkus")
                        .addEntryRecursive(quarkusApp.resolve("quarkus"), app.resolve("quarkus"), WorkerImageBuilder::permissions)
                        .addEntry(quarkusApp.resolve("quarkus-run.jar"), app.resolve("quarkus-run.jar"))
                        .build())
                .addFileEntriesLayer(layer("application", quarkusApp.resolve("app"), app.resolve("app")))
                .setEntrypoint(ENTRYPOINT)
                .setEnvironment(Map.of(
                        "JAVA_HOME", JAVA_HOME,
                        "PATH", JAVA_HOME + "/bin:/usr/bin:/bin",
                        "LANG", "C.UTF-8"))
                .setUser(USER)
                .setWorkingDirectory(app)
                .addExposedPort(Port.tcp(HTTP_PORT))
                .addLabel("org.opencontainers.image.title", "minitron-worker")
                .addLabel("org.opencontainers.image.description", "Minitron Fleet worker: Minitron-8B through Kafka")
                .containerize(Containerizer.to(TarImage.at(tar).named(imageName))
                        .setOfflineMode(true)
                        .setToolName("minitron-fleet")
                        .setBaseImageLayersCache(workDir.resolve("jib-cache/base"))
                        .setApplicationLayersCache(workDir.resolve("jib-cache/application")));
        Files.writeString(workDir.resolve("image.digest"), container.getDigest().toString());
        return tar;
    }

    /** The host's libc and loader (see {@link SystemLibraries}) and an empty, world-writable /tmp. */
    private static FileEntriesLayer systemLayer(Path runtime, Path workDir) throws IOException, InterruptedException {
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName("system");
        for (Path library : SystemLibraries.of(runtime)) {
            layer.addEntry(library.toRealPath(), AbsoluteUnixPath.get(library.toString()), FilePermissions.fromOctalString("755"));
        }
        Path emptyDir = Files.createDirectories(workDir.resolve("empty"));
        layer.addEntry(emptyDir, AbsoluteUnixPath.get("/tmp"), FilePermissions.fromOctalString("777"));
        return layer.build();
    }

    private static FileEntriesLayer layer(String name, Path source, AbsoluteUnixPath target) throws IOException {
        return FileEntriesLayer.builder().setName(name)
                .addEntryRecursive(source, target, WorkerImageBuilder::permissions)
                .build();
    }

    /** The file's own mode, so bin/java and lib/jspawnhelper stay executable (Jib's default is 644). */
    private static FilePermissions permissions(Path source, AbsoluteUnixPath target) {
        try {
            return FilePermissions.fromPosixFilePermissions(Files.getPosixFilePermissions(source, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
