package dev.minitron.worker.dev;

import dev.minitron.worker.cli.CliLogging;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Apache Kafka (KRaft broker+controller) in a child JVM, for the demo, the CLI
 * and the tests. The broker's classes come from a classpath file written by the build
 * ({@code worker/target/dev.classpath}); this class has no compile-time dependency on them.
 *
 * <p>The child's output goes to a log file only. The child watches its stdin, a pipe from this JVM,
 * and shuts down when it closes, so a broker never outlives the JVM that started it.
 */
public final class DevBroker implements AutoCloseable {

    static final String HOST = "localhost";
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final List<String> JVM_FLAGS = List.of(
            "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
            "-Djava.awt.headless=true", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow",
            "-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
    /**
     * C1 only: ~1 s sooner and ~30 MB smaller on 2 cores, which the demo and the tests want. The
     * benchmarks set {@code -Ddevbroker.full-jit=true}: a broker they measure against runs at its
     * C2 peak, as a production broker does.
     */
    private static final String C1_ONLY = "-XX:TieredStopAtLevel=1";

    /**
     * @param brokerPort     the PLAINTEXT listener; 0 picks a free port
     * @param controllerPort the KRaft controller listener; 0 picks a free port
     * @param classpathFile  a file holding the broker's classpath (kafka_2.13 and its dependencies)
     * @param logFile        where the broker's stdout and stderr go (appended)
     */
    public record Options(Path dataDir, int brokerPort, int controllerPort, Path classpathFile, Path logFile) {
        public Options {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(classpathFile, "classpathFile");
            if (brokerPort < 0 || brokerPort > 65535 || controllerPort < 0 || controllerPort > 65535) {
                throw new IllegalArgumentException("ports must be 0 (any free port) to 65535");
            }
            if (brokerPort != 0 && brokerPort == controllerPort) {
                throw new IllegalArgumentException("broker and controller need different ports: " + brokerPort);
            }
            logFile = logFile != null ? logFile : dataDir.resolve("broker.log");
        }

        /** Free ports, the classpath file named by {@code -Ddevbroker.classpath}, the log in {@code dataDir}. */
        public static Options inDirectory(Path dataDir) {
            return new Options(dataDir, 0, 0, defaultClasspathFile(), null);
        }

        public Options withPorts(int brokerPort, int controllerPort) {
            return new Options(dataDir, brokerPort, controllerPort, classpathFile, logFile);
        }

        public Options withClasspathFile(Path classpathFile) {
            return new Options(dataDir, brokerPort, controllerPort, classpathFile, logFile);
        }

        public Options withLogFile(Path logFile) {
            return new Options(dataDir, brokerPort, controllerPort, classpathFile, logFile);
        }
    }

    private final Process process;
    private final KraftConfig config;
    private final Path logFile;
    private final Map<String, Object> clientSettings;

    private DevBroker(Process process, KraftConfig config, Path logFile, Map<String, Object> clientSettings) {
        this.process = process;
        this.config = config;
        this.logFile = logFile;
        this.clientSettings = Map.copyOf(clientSettings);
    }

    /** {@code -Ddevbroker.classpath} (set by the worker's Surefire), else the default build's file. */
    public static Path defaultClasspathFile() {
        return Path.of(System.getProperty("devbroker.classpath", "worker/target/dev.classpath"));
    }

    /**
     * Formats the data directory if it is new (an existing one keeps its topics), then launches the
     * broker and returns at once; {@link #awaitReady} waits until clients can use it.
     */
    public static DevBroker start(Options options) {
        int brokerPort = options.brokerPort();
        int controllerPort = options.controllerPort();
        if (brokerPort == 0) {
            brokerPort = Ports.pickFree(HOST);
        } else {
            Ports.requireFree(HOST, brokerPort, "broker", "--port");
        }
        if (controllerPort == 0) {
            do {
                controllerPort = Ports.pickFree(HOST);
            } while (controllerPort == brokerPort);
        } else {
            Ports.requireFree(HOST, controllerPort, "controller", "--controller-port");
        }
        var config = new KraftConfig(options.dataDir().toAbsolutePath(), HOST, brokerPort, controllerPort);
        return launch(config, options.classpathFile(), options.logFile(), List.of(), Map.of());
    }

    /**
     * Writes {@code config}, formats its data directory if it is new (with {@code formatArgs} added to
     * {@code kafka-storage format}, e.g. {@code --add-scram}), and starts the broker. {@code
     * clientSettings} are what an admin client needs besides the bootstrap servers to reach the
     * broker's port (security settings); {@link #awaitReady} connects with them.
     */
    static DevBroker launch(KraftConfig config, Path classpathFile, Path logFile, List<String> formatArgs,
            Map<String, Object> clientSettings) {
        String classpath = classpath(classpathFile);
        Path log = logFile.toAbsolutePath();
        try {
            config.write();
            Files.createDirectories(log.getParent());
            if (!config.isFormatted()) {
                format(config, classpath, log, formatArgs);
            }
            var process = new ProcessBuilder(javaCommand(config, classpath,
                            TetheredMain.class.getName(), "kafka.Kafka", config.serverProperties().toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(log.toFile()))
                    .start();
            return new DevBroker(process, config, log, clientSettings);
        } catch (IOException e) {
            throw new DevBrokerException("cannot start the Kafka broker: " + e.getMessage(), e);
        }
    }

    public String bootstrapServers() {
        return HOST + ":" + config.brokerPort();
    }

    public int brokerPort() {
        return config.brokerPort();
    }

    public Path dataDir() {
        return config.dataDir();
    }

    public Path logFile() {
        return logFile;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the broker answers a cluster description; fails early when the broker exits. */
    public DevBroker awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Ports.accepts(HOST, config.brokerPort())) {
            checkRunning();
            checkDeadline(deadline, timeout);
            sleep(100);
        }
        var settings = new HashMap<>(clientSettings);
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        try (Admin admin = Admin.create(settings)) {
            while (true) {
                checkRunning();
                checkDeadline(deadline, timeout);
                try {
                    if (!admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty()) {
                        return this;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    sleep(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevBrokerException("interrupted while waiting for the Kafka broker", e);
        }
    }

    /** Blocks until the broker process ends, and returns its exit code. */
    public int awaitExit() throws InterruptedException {
        return process.waitFor();
    }

    /** SIGTERM, a grace period for Kafka's clean shutdown, then SIGKILL. Idempotent. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines of the broker's log, for error messages. */
    public String logTail(int lines) {
        return LogTail.of(logFile, lines);
    }

    private void checkRunning() {
        if (!process.isAlive()) {
            throw new DevBrokerException("The Kafka broker exited with code " + process.exitValue()
                    + " before it was ready. Last lines of " + logFile + ":\n" + logTail(20));
        }
    }

    private void checkDeadline(long deadline, Duration timeout) {
        if (System.nanoTime() > deadline) {
            throw new DevBrokerException("The Kafka broker was not ready within " + timeout.toSeconds()
                    + " s. Last lines of " + logFile + ":\n" + logTail(20));
        }
    }

    private static void format(KraftConfig config, String classpath, Path logFile, List<String> formatArgs)
            throws IOException {
        var args = new ArrayList<>(List.of("format", "--cluster-id", Uuid.randomUuid().toString(),
                "--config", config.serverProperties().toString()));
        args.addAll(formatArgs);
        var command = javaCommand(config, classpath, "kafka.tools.StorageTool", args.toArray(String[]::new));
        var process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(logFile.toFile()))
                .redirectInput(Redirect.from(new File("/dev/null")))
                .start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new DevBrokerException("formatting the Kafka data directory took over 60 s; see " + logFile);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new DevBrokerException("interrupted while formatting the Kafka data directory", e);
        }
        if (process.exitValue() != 0) {
            throw new DevBrokerException("formatting the Kafka data directory " + config.dataDir()
                    + " failed. Last lines of " + logFile + ":\n" + LogTail.of(logFile, 20));
        }
    }

    private static List<String> javaCommand(KraftConfig config, String classpath, String mainClass, String... args) {
        var command = new ArrayList<String>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_FLAGS);
        if (!Boolean.getBoolean("devbroker.full-jit")) {
            command.add(C1_ONLY);
        }
        command.add("-Dlogging.configuration=" + config.loggingProperties().toUri());
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(Arrays.asList(args));
        return command;
    }

    /**
     * The entries of {@code classpathFile} without Quarkus (whose log configurator would swallow the
     * broker's logs), plus this class's own location for {@link TetheredMain}.
     */
    static String classpath(Path classpathFile) {
        if (!Files.isRegularFile(classpathFile)) {
            throw new DevBrokerException("The broker classpath file " + classpathFile + " does not exist."
                    + " Build first: ./mvnw -DskipTests package (it writes worker/target/dev.classpath).");
        }
        try {
            String own = Path.of(DevBroker.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            var entries = Arrays.stream(Files.readString(classpathFile).strip().split(File.pathSeparator))
                    .filter(entry -> !entry.isBlank())
                    .filter(entry -> !Path.of(entry).getFileName().toString().startsWith("quarkus-"));
            String classpath = Stream.concat(Stream.of(own), entries)
                    .collect(Collectors.joining(File.pathSeparator));
            if (!classpath.contains("kafka_2.13")) {
                throw new DevBrokerException("The classpath in " + classpathFile + " has no kafka_2.13 jar;"
                        + " use the test-scope file worker/target/dev.classpath.");
            }
            return classpath;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DevBrokerException("interrupted while waiting for the Kafka broker", e);
        }
    }

    /** {@code java -cp ... dev.minitron.worker.dev.DevBroker --data DIR --port 9092}; see {@link DevBrokerCommand}. */
    public static void main(String[] args) {
        CliLogging.quietKafkaClients();
        System.exit(new DevBrokerCommand(System.out, System.err).run(args));
    }
}
