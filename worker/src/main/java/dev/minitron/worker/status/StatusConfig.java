package dev.minitron.worker.status;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code minitron.status.*}: the Kafka Streams status and usage views (see docs/status.md). */
@ConfigMapping(prefix = "minitron.status")
public interface StatusConfig {

    /** Runs the views in this process. */
    @WithDefault("true")
    boolean enabled();

    /** The Kafka Streams application id: the consumer group and the prefix of its internal topics. */
    @WithDefault("minitron-status")
    String applicationId();

    /** Host other instances reach this one's HTTP endpoint at; default this host's address. */
    Optional<String> advertisedHost();

    /** Port other instances reach this one's HTTP endpoint at; default the port the server bound. */
    Optional<Integer> advertisedPort();

    /** Kafka Streams' state directory; default a new temporary directory, deleted on shutdown. */
    Optional<Path> stateDir();

    /** RocksDB stores (true) or in-memory stores restored from the changelog on every start. */
    @WithDefault("true")
    boolean persistentStores();

    /** {@code at_least_once} or {@code exactly_once_v2}. */
    @WithDefault("at_least_once")
    String processingGuarantee();

    @WithDefault("1")
    int numStreamThreads();

    @WithDefault("5s")
    Duration commitInterval();

    /**
     * How long the views' consumer lets the broker gather records (up to 64 KiB) before a fetch
     * returns ({@code fetch.max.wait.ms}): the views read every token event of their partitions, and
     * a fetch per handful of records cost more than the records (docs/benchmarks/kafka.md). A status
     * answer lags the events by at most this much.
     */
    @WithDefault("100ms")
    Duration fetchWait();

    /** Answered requests stay queryable this long after their last update. */
    @WithDefault("24h")
    Duration doneRetention();

    /** Unanswered requests (no completion or error ever came) are dropped after this long. */
    @WithDefault("7d")
    Duration staleRetention();

    @WithDefault("1m")
    Duration cleanupInterval();

    /** The usage topic, keyed by tenant; one record per tenant and closed window. */
    @WithDefault("minitron.usage")
    String usageTopic();

    @WithDefault("1m")
    Duration usageWindow();

    /** How late (in stream time) a completion may be and still count in its window. */
    @WithDefault("1m")
    Duration usageGrace();

    /** How long usage windows stay queryable at {@code GET /usage/{tenant}}. */
    @WithDefault("7d")
    Duration usageRetention();

    /** The tenant usage is metered to when a prompt names none. */
    @WithDefault("default")
    String defaultTenant();

    /** Creates the usage topic at start when it is missing (partitions as the prompts topic). */
    @WithDefault("true")
    boolean createUsageTopic();

    /** Timeout of a query forwarded to another instance. */
    @WithDefault("5s")
    Duration forwardTimeout();
}
