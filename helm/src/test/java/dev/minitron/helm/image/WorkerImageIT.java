package dev.minitron.helm.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OCI tarball written at {@code package}, opened like a runtime would: its config, its layers
 * unpacked, its Java run, and finally the worker booted from it exactly as the entrypoint says.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WorkerImageIT {

    private static final Path TAR = Path.of(System.getProperty("minitron.image.tar", "target/minitron-worker-image.tar"));

    private Path root;
    private OciImage image;
    private JsonNode config;

    @BeforeAll
    void unpack() throws IOException {
        root = Files.createTempDirectory("minitron-image-");
        image = OciImage.read(TAR);
        config = image.config().path("config");
        image.unpack(root);
    }

    @Test
    void isAnOciImageForLinuxAmd64NamedForTheWorker() {
        assertThat(image.manifest().path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
        assertThat(image.index().at("/manifests/0/annotations/org.opencontainers.image.ref.name").asText())
                .startsWith("minitron-worker:");
        assertThat(image.config().path("os").asText()).isEqualTo("linux");
        assertThat(image.config().path("architecture").asText()).isEqualTo("amd64");
        assertThat(image.manifest().path("layers")).hasSize(5);
    }

    @Test
    void runsAsTheNonRootUserTheChartDeclares() throws IOException {
        String user = config.path("User").asText();
        JsonNode podSecurity = new ObjectMapper(new YAMLFactory())
                .readTree(chartFile("values.yaml").toFile()).at("/worker/podSecurityContext");
        assertThat(user).isEqualTo(podSecurity.path("runAsUser").asInt() + ":" + podSecurity.path("runAsGroup").asInt());
        assertThat(Integer.parseInt(user.split(":")[0])).isPositive();
    }

    @Test
    void entrypointRunsTheWorkerWithTheVectorApiAndNativeAccess() {
        assertThat(entrypoint()).startsWith("/opt/java/bin/java")
                .containsSequence("--add-modules", "jdk.incubator.vector")
                .contains("--enable-native-access=ALL-UNNAMED")
                .endsWith("-jar", "/deployments/quarkus-run.jar");
        assertThat(config.path("Env").toString()).contains("JAVA_HOME=/opt/java");
        assertThat(config.path("ExposedPorts").has("8080/tcp")).isTrue();
    }

    @Test
    void packagedJavaRunsAndHasTheVectorApi() throws Exception {
        Path java = root.resolve("opt/java/bin/java");
        assertThat(Files.isExecutable(java)).isTrue();
        assertThat(OciImage.run(root, java.toString(), "-version")).contains("version \"25");
        assertThat(OciImage.run(root, java.toString(), "--list-modules"))
                .contains("jdk.incubator.vector", "java.security.sasl", "java.management");
    }

    @Test
    void javaRunsOnTheImagesOwnLoaderAndLibc() throws Exception {
        assertThat(root.resolve("lib64/ld-linux-x86-64.so.2")).isRegularFile();
        assertThat(root.resolve("tmp")).isDirectory();
        Assumptions.assumeTrue(chrootWorks(), "user namespaces are not available: cannot run the image without the host's libraries");
        assertThat(OciImage.run(root, inImage(List.of("/opt/java/bin/java", "-version")).toArray(String[]::new)))
                .contains("version \"25");
    }

    @Test
    void carriesTheQuarkusAppWithTheWorkerAndItsDependencies() throws IOException {
        Path app = root.resolve("deployments");
        assertThat(app.resolve("quarkus-run.jar")).isRegularFile();
        assertThat(app.resolve("quarkus/quarkus-application.dat")).isRegularFile();
        assertThat(names(app.resolve("app"))).anyMatch(n -> n.startsWith("minitron-worker-"));
        assertThat(names(app.resolve("lib/main")))
                .anyMatch(n -> n.startsWith("org.apache.kafka.kafka-clients-"))
                .anyMatch(n -> n.startsWith("dev.minitron.minitron-engine-"));
    }

    /**
     * The whole image in one go: its entrypoint, run inside the image (see {@link #inImage}), boots the
     * worker on a tiny random-weight checkpoint, which the image's own Java writes with the engine's
     * generator from the image's own jars. Liveness comes up (engine loop turning); readiness stays down because no
     * broker is there to join, which is what readiness is for.
     */
    @Test
    void entrypointBootsTheWorkerLiveButNotReadyWithoutABroker() throws Exception {
        Files.createDirectories(root.resolve("models"));
        OciImage.run(root, inImage(List.of("/opt/java/bin/java", "--add-modules", "jdk.incubator.vector",
                "-cp", "/deployments/lib/main/*", "dev.minitron.engine.tiny.TinyCheckpointMain",
                "--out", "/models/tiny", "--preset", "tiny", "--force")).toArray(String[]::new));
        int port = freePort();
        ProcessBuilder builder = new ProcessBuilder(inImage(entrypoint())).directory(root.resolve("deployments").toFile())
                .redirectErrorStream(true).redirectOutput(root.resolve("worker.log").toFile());
        builder.environment().put("MINITRON_MODEL_PATH", chrootWorks() ? "/models/tiny" : root.resolve("models/tiny").toString());
        builder.environment().put("MINITRON_ENGINE_THREADS", "1");
        builder.environment().put("QUARKUS_HTTP_PORT", String.valueOf(port));
        builder.environment().put("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + freePort()); // nobody listens
        // this test is about the packaging: no topic check and no Streams views without a broker
        builder.environment().put("MINITRON_TOPICS_VERIFY", "false");
        builder.environment().put("MINITRON_STATUS_ENABLED", "false");
        Process worker = builder.start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
            int live = -1;
            while (live != 200 && worker.isAlive() && System.nanoTime() < deadline) {
                live = status(http, port, "/q/health/live");
                if (live != 200) {
                    Thread.sleep(500);
                }
            }
            String log = Files.readString(root.resolve("worker.log"));
            assertThat(live).as(log).isEqualTo(200);
            assertThat(status(http, port, "/q/health/ready")).as(log).isEqualTo(503);
            assertThat(log).contains("loaded on cpu", "Listening on: http://0.0.0.0:" + port).doesNotContain("NoClassDefFoundError", "ClassNotFoundException");
        } finally {
            worker.destroy();
            if (!worker.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
        }
    }

    /**
     * {@code argsInImage} as a command that sees only the image's files: a chroot into the unpacked
     * root inside an unprivileged user, mount and PID namespace with its own /proc (what a container
     * runtime gives it). Where namespaces are not allowed, the same command on the host with the
     * image's paths moved under the root (host C libraries then stand in for the image's).
     */
    private List<String> inImage(List<String> argsInImage) {
        List<String> command = new ArrayList<>();
        if (chrootWorks()) {
            command.addAll(List.of("unshare", "-r", "-m", "-p", "-f", "--kill-child", "--mount-proc=" + root.resolve("proc"),
                    "chroot", root.toString()));
            command.addAll(argsInImage);
        } else {
            for (String arg : argsInImage) {
                command.add(arg.replace("/opt/java", root.resolve("opt/java").toString())
                        .replace("/deployments", root.resolve("deployments").toString())
                        .replace("/models", root.resolve("models").toString()));
            }
        }
        return command;
    }

    private Boolean chroot;

    private boolean chrootWorks() {
        if (chroot == null) {
            try {
                Files.createDirectories(root.resolve("proc"));
                Process p = new ProcessBuilder("unshare", "-r", "-m", "-p", "-f", "--kill-child", "--mount-proc=" + root.resolve("proc"),
                        "chroot", root.toString(), "/opt/java/bin/java", "-version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                chroot = p.waitFor() == 0;
            } catch (IOException | InterruptedException e) {
                chroot = false;
            }
        }
        return chroot;
    }

    @AfterAll
    void deleteRoot() throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private List<String> entrypoint() {
        List<String> args = new ArrayList<>();
        config.path("Entrypoint").forEach(n -> args.add(n.asText()));
        return args;
    }

    private static int status(HttpClient http, int port, String path) throws InterruptedException {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static Path chartFile(String name) {
        return Path.of(System.getProperty("minitron.chart.dir", "minitron-fleet")).resolve(name);
    }
}
