package dev.minitron.worker.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The configuration files of a single-node KRaft broker+controller for development: everything
 * replicated once, no rebalance delay, small internal topics so the first consumer group is fast,
 * and no topic created by a client's metadata request (topics are created on purpose, or not at all).
 *
 * @param overrides settings that replace or add to the development defaults, written last (a broker
 *     with TLS listeners, SASL and an authorizer replaces the listener settings)
 */
record KraftConfig(Path dataDir, String host, int brokerPort, int controllerPort, Map<String, String> overrides) {

    KraftConfig {
        overrides = Map.copyOf(overrides);
    }

    KraftConfig(Path dataDir, String host, int brokerPort, int controllerPort) {
        this(dataDir, host, brokerPort, controllerPort, Map.of());
    }

    /** Large enough for long prompts and completions with logprobs; the clients' own limit is 1 MiB. */
    static final int MESSAGE_MAX_BYTES = 4 * 1024 * 1024;

    Path serverProperties() {
        return dataDir.resolve("server.properties");
    }

    Path loggingProperties() {
        return dataDir.resolve("logging.properties");
    }

    Path logDirs() {
        return dataDir.resolve("logs");
    }

    /** StorageTool writes meta.properties with the cluster id; a formatted directory is reused as it is. */
    boolean isFormatted() {
        return Files.exists(logDirs().resolve("meta.properties"));
    }

    void write() throws IOException {
        Files.createDirectories(logDirs());
        Files.writeString(serverProperties(), render(serverSettings()));
        Files.writeString(loggingProperties(), render(loggingSettings()));
    }

    Map<String, String> serverSettings() {
        var s = new LinkedHashMap<String, String>();
        s.put("process.roles", "broker,controller");
        s.put("node.id", "1");
        s.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
        s.put("listeners", "PLAINTEXT://" + host + ":" + brokerPort + ",CONTROLLER://" + host + ":" + controllerPort);
        s.put("advertised.listeners", "PLAINTEXT://" + host + ":" + brokerPort);
        s.put("controller.listener.names", "CONTROLLER");
        s.put("inter.broker.listener.name", "PLAINTEXT");
        s.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        s.put("log.dirs", logDirs().toAbsolutePath().toString());

        s.put("default.replication.factor", "1");
        s.put("min.insync.replicas", "1");
        s.put("offsets.topic.replication.factor", "1");
        s.put("offsets.topic.num.partitions", "4");
        s.put("transaction.state.log.replication.factor", "1");
        s.put("transaction.state.log.min.isr", "1");
        s.put("transaction.state.log.num.partitions", "4");
        // A crashed worker's open transaction holds read_committed readers back until the coordinator
        // aborts it: check for timed-out transactions every second, not every 10 s (docs/delivery.md).
        s.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        s.put("share.coordinator.state.topic.replication.factor", "1");
        s.put("share.coordinator.state.topic.min.isr", "1");
        s.put("share.coordinator.state.topic.num.partitions", "4");
        s.put("group.initial.rebalance.delay.ms", "0");
        // Kafka 4's group coordinator holds offset commits up to 5 ms to write them in batches; a worker
        // commits its attempt journal before each batch of prompts starts, so that linger is time to
        // first token (docs/deploy.md, "Broker settings"). Transactional offset commits never linger.
        s.put("group.coordinator.append.linger.ms", "0");

        // A client that asks about a topic before it exists must not create it with the broker's
        // defaults (1 partition beside 4-partition outputs: a status view that cannot join them).
        s.put("auto.create.topics.enable", "false");
        s.put("num.partitions", "1");
        s.put("message.max.bytes", Integer.toString(MESSAGE_MAX_BYTES));
        s.put("replica.fetch.max.bytes", Integer.toString(MESSAGE_MAX_BYTES));
        s.put("log.cleaner.backoff.ms", "1000");
        s.putAll(new TreeMap<>(overrides));   // sorted: the file reads the same on every start
        return s;
    }

    /** jboss-logmanager (the SLF4J binding on the worker's classpath) writing to stdout, i.e. the log file. */
    static Map<String, String> loggingSettings() {
        var s = new LinkedHashMap<String, String>();
        s.put("loggers", "org.apache.kafka.clients,kafka.utils.Log4jControllerRegistration$");
        s.put("logger.level", "INFO");
        s.put("logger.handlers", "FILE");
        s.put("logger.org.apache.kafka.clients.level", "WARN");
        s.put("logger.kafka.utils.Log4jControllerRegistration$.level", "WARN");
        s.put("handler.FILE", "org.jboss.logmanager.handlers.ConsoleHandler");
        s.put("handler.FILE.properties", "autoFlush,target");
        s.put("handler.FILE.autoFlush", "true");
        s.put("handler.FILE.target", "SYSTEM_OUT");
        s.put("handler.FILE.formatter", "PATTERN");
        s.put("formatter.PATTERN", "org.jboss.logmanager.formatters.PatternFormatter");
        s.put("formatter.PATTERN.properties", "pattern");
        s.put("formatter.PATTERN.pattern", "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c] (%t) %s%e%n");
        return s;
    }

    private static String render(Map<String, String> settings) {
        return settings.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "# written by DevBroker on every start\n", "\n"));
    }
}
