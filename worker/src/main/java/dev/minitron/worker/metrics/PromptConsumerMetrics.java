package dev.minitron.worker.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * What the prompt consumer's own bookkeeping knows and the Kafka client does not: paused partitions
 * (backpressure), records taken and not answered, offsets not yet committable, and the lag of each
 * partition counted from its commit watermark. The poll thread publishes its numbers once per loop
 * (volatile writes); Prometheus reads them from any thread.
 */
@Startup
@Singleton   // created at startup: the series exist before the first poll
public class PromptConsumerMetrics {

    private static final Logger LOG = Logger.getLogger(PromptConsumerMetrics.class);
    /** Least time between two end-offset look-ups (a broker round trip on the poll thread). */
    static final long LAG_INTERVAL_NANOS = 5_000_000_000L;
    private static final Duration LAG_TIMEOUT = Duration.ofSeconds(1);

    private final MultiGauge lag;
    private volatile int pausedPartitions;
    private volatile int inFlight;
    private volatile long uncommitted;
    private volatile long pausedNanos;   // partition-nanoseconds
    private volatile long transactionsCommitted;
    private volatile long transactionsAborted;
    private long lastLoopNanos;          // poll thread only
    private long nextLagNanos;           // poll thread only

    private final MeterRegistry registry;
    private final List<io.micrometer.core.instrument.Meter> meters = new ArrayList<>();

    public PromptConsumerMetrics(MeterRegistry registry) {
        this.registry = registry;
        meters.add(Gauge.builder("minitron:kafka_paused_partitions", this, m -> m.pausedPartitions)
                .description("Prompt partitions paused by backpressure (the engine or the in-flight cap is full)")
                .strongReference(true).register(registry));
        meters.add(FunctionCounter.builder("minitron:kafka_partition_paused_seconds", this, m -> m.pausedNanos / 1e9)
                .description("Partition-seconds the prompt partitions spent paused").register(registry));
        meters.add(Gauge.builder("minitron:kafka_records_in_flight", this, m -> m.inFlight)
                .description("Prompts taken from Kafka and not answered yet (waiting, generating, or being written)")
                .strongReference(true).register(registry));
        meters.add(Gauge.builder("minitron:kafka_records_uncommitted", this, m -> m.uncommitted)
                .description("Offsets above the commit watermarks (an unanswered prompt holds back the ones after it)")
                .strongReference(true).register(registry));
        meters.add(FunctionCounter.builder("minitron:kafka_transactions", this, m -> m.transactionsCommitted)
                .tag("outcome", "committed")
                .description("Exactly-once delivery: transactions of answers and offsets committed").register(registry));
        meters.add(FunctionCounter.builder("minitron:kafka_transactions", this, m -> m.transactionsAborted)
                .tag("outcome", "aborted")
                .description("Exactly-once delivery: transactions aborted (their answers go with the next one, or to the new owner)")
                .register(registry));
        lag = MultiGauge.builder("minitron:kafka_consumer_lag")
                .description("Prompts on the partition not answered yet: log end offset minus the commit watermark")
                .register(registry);
    }

    /**
     * Once per poll loop, from the poll thread. The paused time accrues the partitions paused
     * since the previous call over the time between the two calls.
     */
    public void loop(long nowNanos, int paused, int inFlight, long uncommitted, long transactionsCommitted,
                     long transactionsAborted) {
        this.transactionsCommitted = transactionsCommitted;
        this.transactionsAborted = transactionsAborted;
        if (lastLoopNanos != 0) {
            pausedNanos += (nowNanos - lastLoopNanos) * pausedPartitions;
        }
        lastLoopNanos = nowNanos;
        this.pausedPartitions = paused;
        this.inFlight = inFlight;
        this.uncommitted = uncommitted;
    }

    /** Whether the lag is due for a refresh (poll thread). */
    public boolean lagDue(long nowNanos) {
        return nowNanos - nextLagNanos >= 0;
    }

    /**
     * Refreshes the lag of every assigned partition (poll thread): one end-offset request to the
     * broker, bounded by a short timeout, at most every {@link #LAG_INTERVAL_NANOS}. The client's
     * own {@code records-lag} is counted from the fetch position and stops moving while a partition
     * is paused, which is exactly when the backlog grows; this one is counted from what is answered.
     *
     * @param watermark the partition's commit watermark, or -1 when nothing was taken from it yet
     */
    public void refreshLag(Consumer<?, ?> consumer, long nowNanos, ToLongFunction<TopicPartition> watermark) {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            // none (yet): no series, and look again next loop (a local lookup), so they appear with the partitions
            lag.register(List.of(), true);
            return;
        }
        nextLagNanos = nowNanos + LAG_INTERVAL_NANOS;
        List<MultiGauge.Row<?>> rows = new ArrayList<>(assigned.size());
        try {
            Map<TopicPartition, Long> ends = consumer.endOffsets(assigned, LAG_TIMEOUT);
            for (var e : ends.entrySet()) {
                TopicPartition tp = e.getKey();
                long from = watermark.applyAsLong(tp);
                if (from < 0) {
                    from = consumer.position(tp, LAG_TIMEOUT);   // nothing taken: the committed position
                }
                rows.add(MultiGauge.Row.of(Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition())),
                        Math.max(0, e.getValue() - from)));
            }
        } catch (KafkaException e) {
            LOG.debugf("consumer lag not refreshed: %s", e.toString());
            return;   // keep the last values; try again next interval
        }
        lag.register(rows, true);
    }

    /** Takes this instance's meters out of the registry, which can outlive it (see EngineMetrics#close). */
    @jakarta.annotation.PreDestroy
    void close() {
        meters.forEach(registry::remove);
        meters.clear();
        lag.register(List.of(), true);
    }
}
