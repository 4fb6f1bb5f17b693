package dev.minitron.worker.status;

import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.kafka.TopicProvisioner;
import io.quarkus.arc.Arc;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.HttpServer;
import io.quarkus.vertx.http.HttpServerStart;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Runs the status and usage views ({@link StatusTopology}) in the worker process. Starting never
 * blocks the worker: once the HTTP server has bound its port (which becomes this instance's
 * {@code application.server}), a background thread waits for the input topics, creates the
 * usage topic if asked to, and starts Kafka Streams. A failure of the views is logged and turns
 * their endpoints into 503s; it never touches generation or readiness.
 */
@ApplicationScoped
public class StatusStreams {

    /** The views' fetches return once this much is there, or after {@code fetch-wait}. */
    private static final int FETCH_MIN_BYTES = 64 * 1024;

    private static final Logger LOG = Logger.getLogger(StatusStreams.class);
    /** Client settings of the shared {@code kafka.*} map that Kafka Streams sets itself or must not get. */
    private static final Set<String> NOT_FOR_STREAMS = Set.of("devservices.enabled", "health.enabled",
            "snappy.enabled", "snappy.load.from.classpath", "group.id", "enable.auto.commit", "auto.offset.reset",
            "key.serializer", "value.serializer", "key.deserializer", "value.deserializer");
    private static final Duration TOPIC_WAIT_LOG_EVERY = Duration.ofMinutes(1);

    private final StatusConfig config;
    private final WorkerConfig worker;
    private final Map<String, Object> kafka;
    private final CompletableFuture<Integer> httpPort = new CompletableFuture<>();
    private volatile boolean stopping;
    private volatile String failure;
    private volatile KafkaStreams streams;
    private volatile StatusQueries queries;
    private volatile Thread starter;
    private volatile HostInfo self;
    private Path temporaryStateDir;

    @Inject
    public StatusStreams(StatusConfig config, WorkerConfig worker,
            @Identifier("default-kafka-broker") Map<String, Object> kafka) {
        this.config = config;
        this.worker = worker;
        this.kafka = kafka;
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            LOG.info("status view disabled (minitron.status.enabled=false)");
            return;
        }
        starter = Thread.ofPlatform().name("minitron-status-start").daemon().unstarted(this::start);
        starter.start();
    }

    /**
     * The bound port. With port 0 (tests) the options still say 0; Quarkus records the real one in
     * its value registry, which it also exposes as configuration.
     */
    void onHttpStart(@ObservesAsync HttpServerStart event) {
        int port = event.options().getPort();
        boolean test = LaunchMode.current() == LaunchMode.TEST;
        if (port <= 0) {
            var registry = Arc.container().select(ValueRegistry.class);
            if (registry.isResolvable()) {
                port = registry.get().getOrDefault(test ? HttpServer.HTTP_TEST_PORT : HttpServer.HTTP_PORT, 0);
            }
        }
        if (port <= 0) {
            port = ConfigProvider.getConfig()
                    .getOptionalValue(test ? "quarkus.http.test-port" : "quarkus.http.port", Integer.class).orElse(0);
        }
        httpPort.complete(port);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        Thread t = starter;
        if (t != null) {
            t.interrupt();
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        KafkaStreams s = streams;
        if (s != null) {
            s.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(10)).leaveGroup(true));
        }
        if (temporaryStateDir != null) {
            deleteRecursively(temporaryStateDir);
        }
    }

    /** The queries of the views, or null while they are not started or after they failed. */
    public StatusQueries queries() {
        return failure == null ? queries : null;
    }

    /** Why the views cannot answer: disabled, starting, or failed (and how). */
    public String unavailableReason() {
        if (!config.enabled()) {
            return "the status view is disabled on this instance (minitron.status.enabled=false)";
        }
        String f = failure;
        return f != null ? "the status view stopped: " + f : "the status view is starting; retry";
    }

    /** This instance's {@code application.server}, once known. */
    public HostInfo self() {
        return self;
    }

    public KafkaStreams.State state() {
        KafkaStreams s = streams;
        return s == null ? null : s.state();
    }

    public TopologySettings settings() {
        var topics = worker.topics();
        return new TopologySettings(topics.prompts(), topics.tokens(), topics.completions(), topics.errors(),
                config.usageTopic(), config.persistentStores(), config.doneRetention(), config.staleRetention(),
                config.cleanupInterval(), config.usageWindow(), config.usageGrace(), config.usageRetention(),
                config.defaultTenant());
    }

    private void start() {
        try {
            TopologySettings settings = settings();
            HostInfo self = new HostInfo(advertisedHost(), advertisedPort());
            this.self = self;
            awaitTopics(settings);
            Properties props = streamsProperties(self);
            KafkaStreams s = new KafkaStreams(StatusTopology.build(settings), props);
            s.setUncaughtExceptionHandler(e -> {
                failure = e.getClass().getSimpleName() + ": " + e.getMessage();
                LOG.errorf(e, "status view failed and stops; generation is not affected");
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            s.setStateListener((now, before) -> LOG.infof("status view %s -> %s", before, now));
            synchronized (this) {
                if (stopping) {
                    return;
                }
                streams = s;
                queries = new StatusQueries(s, self, settings, config.forwardTimeout());
                s.start();
            }
            LOG.infof("status view starting as %s:%d (application.id %s)", self.host(), self.port(), config.applicationId());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failure = e.getMessage();
            LOG.errorf(e, "status view did not start; generation is not affected");
        }
    }

    private Properties streamsProperties(HostInfo self) throws IOException {
        Properties props = new Properties();
        props.putAll(clientSettings());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
        Path stateDir = config.stateDir().orElse(null);
        if (stateDir == null) {
            temporaryStateDir = Files.createTempDirectory("minitron-status-");
            stateDir = temporaryStateDir;
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, config.processingGuarantee());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.numStreamThreads());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, config.commitInterval().toMillis());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        props.put(StreamsConfig.mainConsumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MIN_BYTES_CONFIG),
                FETCH_MIN_BYTES);
        props.put(StreamsConfig.mainConsumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG),
                (int) config.fetchWait().toMillis());
        // Completions and error events are written in transactions (exactly-once delivery): an aborted
        // answer of a fenced worker must never count.
        props.put(StreamsConfig.consumerPrefix(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG),
                "read_committed");
        return props;
    }

    private Map<String, Object> clientSettings() {
        Map<String, Object> props = new HashMap<>();
        kafka.forEach((k, v) -> {
            if (!NOT_FOR_STREAMS.contains(k)) {
                props.put(k, v);
            }
        });
        props.putIfAbsent(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092");
        return props;
    }

    /**
     * Waits until the four input topics exist (Kafka Streams stops when a source topic is
     * missing), refuses them when they are not co-partitioned (the worker's startup check does too,
     * unless {@code minitron.topics.verify=false}: then this view alone stops, saying why, instead of
     * answering wrongly), then creates the usage topic with the prompts topic's partition count if
     * asked.
     */
    private void awaitTopics(TopologySettings settings) throws InterruptedException {
        List<String> inputs = List.of(settings.promptsTopic(), settings.tokensTopic(), settings.completionsTopic(),
                settings.errorsTopic());
        try (Admin admin = Admin.create(clientSettings())) {
            long nextLog = 0;
            while (!stopping) {
                try {
                    Map<String, TopicDescription> found = admin.describeTopics(inputs).allTopicNames().get(20, TimeUnit.SECONDS);
                    Map<String, Integer> counts = new LinkedHashMap<>();
                    inputs.forEach(name -> counts.put(name, found.get(name).partitions().size()));
                    TopicProvisioner.coPartitioning(counts,
                            String.valueOf(clientSettings().get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)))
                            .ifPresent(problem -> {
                                throw new IllegalStateException(problem);
                            });
                    if (config.createUsageTopic()) {
                        int partitions = found.get(settings.promptsTopic()).partitions().size();
                        createTopic(admin, settings.usageTopic(), partitions);
                    }
                    return;
                } catch (ExecutionException | TimeoutException e) {
                    Throwable cause = e.getCause() != null ? e.getCause() : e;
                    if (System.nanoTime() > nextLog) {
                        LOG.warnf("status view waits for its input topics %s: %s", inputs,
                                cause instanceof UnknownTopicOrPartitionException ? "not all exist yet" : cause.getMessage());
                        nextLog = System.nanoTime() + TOPIC_WAIT_LOG_EVERY.toNanos();
                    }
                    Thread.sleep(2_000);
                }
            }
        }
    }

    private static void createTopic(Admin admin, String topic, int partitions) throws InterruptedException {
        try {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())))
                    .all().get(20, TimeUnit.SECONDS);
            LOG.infof("created the usage topic %s with %d partitions", topic, partitions);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                LOG.warnf("could not create the usage topic %s (%s); the views start anyway", topic,
                        e.getCause().getMessage());
            }
        } catch (TimeoutException e) {
            LOG.warnf("could not create the usage topic %s in time; the views start anyway", topic);
        }
    }

    private String advertisedHost() {
        return config.advertisedHost().orElseGet(() -> {
            try {
                return InetAddress.getLocalHost().getHostAddress();
            } catch (IOException e) {
                return "localhost";
            }
        });
    }

    private int advertisedPort() throws InterruptedException, ExecutionException {
        if (config.advertisedPort().isPresent()) {
            return config.advertisedPort().get();
        }
        try {
            return httpPort.get(60, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return ConfigProvider.getConfig()
                    .getOptionalValue("quarkus.http.port", Integer.class).orElse(8080);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
