package dev.minitron.worker.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real worker: the packaged application in its own JVM, as it runs in production. */
public final class WorkerProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final String name;
    private final Process process;
    private final int httpPort;
    private final Path log;

    private WorkerProcess(String name, Process process, int httpPort, Path log) {
        this.name = name;
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    public static WorkerProcess start(String name, String bootstrap, Path model, Path logDir) throws IOException {
        return start(name, bootstrap, model, logDir, Map.of());
    }

    /** @param settings extra configuration, e.g. {@code minitron.worker.shutdown-grace=2s}, as system properties */
    public static WorkerProcess start(String name, String bootstrap, Path model, Path logDir, Map<String, String> settings)
            throws IOException {
        return start(name, bootstrap, model, logDir, settings, Map.of());
    }

    /**
     * @param environment extra environment variables, e.g. {@code KAFKA_SASL_JAAS_CONFIG}: secrets reach a
     *     worker this way in production (the Helm chart's Secret references), never on its command line
     */
    public static WorkerProcess start(String name, String bootstrap, Path model, Path logDir, Map<String, String> settings,
            Map<String, String> environment) throws IOException {
        Path jar = Path.of(System.getProperty("minitron.worker.jar", "target/quarkus-app/quarkus-run.jar"));
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = logDir.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-Dkafka.bootstrap.servers=" + bootstrap, "-Dminitron.model.path=" + model,
                "-Dminitron.worker.id=" + name, "-Dquarkus.http.port=" + port,
                // a test machine has few cores; workers share them
                "-Dminitron.engine.threads=1"));
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar.toString()));
        var builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process p = builder
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new WorkerProcess(name, p, port, log);
    }

    public String name() {
        return name;
    }

    public int httpPort() {
        return httpPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** One health probe ({@code /q/health/ready} or {@code /q/health/live}): true on 200, false otherwise. */
    public boolean probe(String path) throws InterruptedException {
        try {
            var response = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200;
        } catch (IOException notUp) {
            return false;
        }
    }

    public WorkerProcess awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("worker " + name + " exited early; see " + log + "\n" + logTail());
            }
            if (probe("/q/health/ready")) {
                return this;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("worker " + name + " not ready within " + timeout + "; see " + log);
    }

    /** SIGKILL: no shutdown hook, no drain, no commit. */
    public void killHard() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGSTOP: the whole JVM freezes (heartbeats included), as a long GC pause or a frozen VM would. */
    public void suspend() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #suspend()}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        // bash's builtin kill: no procps needed on a minimal CI image
        int code = new ProcessBuilder("bash", "-c", "kill -" + name + " " + process.pid()).inheritIO().start().waitFor();
        if (code != 0 && process.isAlive()) {
            throw new IOException("kill -" + name + " " + process.pid() + " exited with " + code);
        }
    }

    public Path logFile() {
        return log;
    }

    /** SIGKILL without waiting. */
    public void destroyNow() {
        process.destroyForcibly();
    }

    /** SIGTERM without waiting: the worker stops fetching, drains within its grace, commits and leaves. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to end; fails if it has not within {@code timeout}. Returns the exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("worker " + name + " still running after " + timeout + "; see " + log);
        }
        return process.exitValue();
    }

    /** The worker's log so far. */
    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    private String logTail() {
        String text = logText();
        return text.substring(Math.max(0, text.length() - 4000));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();   // SIGTERM: drain and commit
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
