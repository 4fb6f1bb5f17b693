package dev.minitron.worker.bench;

import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.dev.TopicSetup;
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
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What a delivery benchmark runs against, all on this machine: a KRaft broker in its own JVM with
 * the contract's topics, the tiny random-weight checkpoint, and worker processes started from the
 * packaged application ({@code worker/target/quarkus-app/quarkus-run.jar}) as in production.
 */
final class BenchFleet implements AutoCloseable {

    /** A worker process serving HTTP on {@code port}; {@link #killHard()} is SIGKILL, {@link #close()} SIGTERM. */
    record Worker(String name, Process process, Path log, int port) implements AutoCloseable {
        long pid() {
            return process.pid();
        }

        void killHard() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    final Path dir;
    final Path model;
    final DevBroker broker;
    final int partitions;
    private final List<Worker> workers = new ArrayList<>();
    /** How long {@link #startWorker} waits for readiness (a loaded machine starts JVMs slowly). */
    Duration readyTimeout = Duration.ofSeconds(120);

    private BenchFleet(Path dir, Path model, DevBroker broker, int partitions) {
        this.dir = dir;
        this.model = model;
        this.broker = broker;
        this.partitions = partitions;
    }

    static BenchFleet start(int partitions) throws IOException {
        Path dir = Files.createTempDirectory("minitron-bench-");
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 1);
        if (System.getProperty("devbroker.full-jit") == null) {
            System.setProperty("devbroker.full-jit", "true");   // measured against a broker at its peak
        }
        DevBroker broker = DevBroker.start(DevBroker.Options.inDirectory(dir.resolve("kafka")));
        broker.awaitReady(Duration.ofSeconds(90));
        TopicSetup.ensureTopics(broker.bootstrapServers(), partitions);
        return new BenchFleet(dir, model, broker, partitions);
    }

    String bootstrap() {
        return broker.bootstrapServers();
    }

    /** Starts a worker with these extra settings and JVM flags and waits until it is ready. */
    Worker startWorker(String name, Map<String, String> settings, List<String> jvmFlags) throws Exception {
        Path jar = Path.of(System.getProperty("minitron.worker.jar", "worker/target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (./mvnw -o -q package -DskipTests)");
        }
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-Dkafka.bootstrap.servers=" + bootstrap(), "-Dminitron.model.path=" + model,
                "-Dminitron.worker.id=" + name, "-Dquarkus.http.port=" + port));
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.addAll(List.of("-jar", jar.toString()));
        Path log = dir.resolve(name + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Worker w = new Worker(name, p, log, port);
        synchronized (workers) {
            workers.add(w);
        }
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("worker " + name + " exited; see " + log);
            }
            try {
                var r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return w;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("worker " + name + " not ready; see " + log);
    }

    KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    /** A client consumer on these topics, every partition, from their current end. */
    KafkaConsumer<String, String> tailing(String... topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        var consumer = new KafkaConsumer<String, String>(p);
        List<TopicPartition> all = new ArrayList<>();
        for (String t : topics) {
            consumer.partitionsFor(t).forEach(i -> all.add(new TopicPartition(t, i.partition())));
        }
        consumer.assign(all);
        consumer.seekToEnd(all);
        all.forEach(consumer::position);
        return consumer;
    }

    /** Stops every worker with SIGTERM, all at once, and waits for them. */
    void stopWorkers() throws Exception {
        List<Worker> stopping;
        synchronized (workers) {
            stopping = List.copyOf(workers);
            workers.clear();
        }
        List<Thread> threads = new ArrayList<>();
        for (Worker w : stopping) {
            threads.add(Thread.ofPlatform().name("stop-" + w.name()).start(() -> {
                try {
                    w.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    @Override
    public void close() throws Exception {
        stopWorkers();
        broker.close();
    }
}
