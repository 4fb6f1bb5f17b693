package dev.minitron.worker.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/**
 * Exposes the Kafka clients' own metrics ({@code kafka_consumer_*}, {@code kafka_producer_*}: fetch
 * lag per partition, commit latency, record send rates, …) through Micrometer's
 * {@link KafkaClientMetrics}. The clients add metrics as partitions are assigned; they are looked for
 * every {@link #REFRESH}, on one daemon thread shared by every bound client.
 */
@ApplicationScoped
public class KafkaClientMetricsBinder {

    /** How often new client metrics (a newly assigned partition's lag) are picked up. */
    static final Duration REFRESH = Duration.ofSeconds(5);

    private final MeterRegistry registry;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("minitron-kafka-metrics").daemon().factory());

    public KafkaClientMetricsBinder(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Binds the consumer's metrics until the returned handle is closed (before the consumer is). */
    public AutoCloseable bind(Consumer<?, ?> consumer) {
        var metrics = new KafkaClientMetrics(consumer, Tags.empty(), refresher, REFRESH);
        metrics.bindTo(registry);
        return metrics;
    }

    public AutoCloseable bind(Producer<?, ?> producer) {
        var metrics = new KafkaClientMetrics(producer, Tags.empty(), refresher, REFRESH);
        metrics.bindTo(registry);
        return metrics;
    }

    @PreDestroy
    void close() {
        refresher.shutdownNow();
    }
}
