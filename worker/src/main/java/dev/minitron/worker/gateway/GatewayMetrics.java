package dev.minitron.worker.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's metrics (docs/metrics.md): requests by endpoint and status, open requests and
 * streams, and the time from the prompt record to the first SSE byte (Kafka, queueing, prefill
 * and the way back), the figure a caller feels as time to first token.
 */
final class GatewayMetrics {

    private static final Duration[] FIRST_BYTE = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(20),
        Duration.ofMillis(40), Duration.ofMillis(60), Duration.ofMillis(80), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(750), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20),
        Duration.ofSeconds(40), Duration.ofSeconds(80)};

    private final MeterRegistry registry;
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final AtomicInteger openRequests = new AtomicInteger();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final Timer firstByte;

    GatewayMetrics(MeterRegistry registry, String model) {
        this.registry = registry;
        Gauge.builder("minitron:gateway_open_requests", openRequests, AtomicInteger::get)
                .description("HTTP requests this gateway instance holds open").register(registry);
        Gauge.builder("minitron:gateway_open_streams", openStreams, AtomicInteger::get)
                .description("SSE streams this gateway instance is writing").register(registry);
        firstByte = Timer.builder("minitron:gateway_time_to_first_byte")
                .description("From the prompt record's timestamp to the first SSE byte sent to the caller")
                .tag("model_name", model).serviceLevelObjectives(FIRST_BYTE).register(registry);
    }

    void requestDone(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + " " + status, k -> Counter.builder("minitron:gateway_requests")
                .description("HTTP requests answered, by endpoint and status (499: the client went away)")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status)).register(registry)).increment();
    }

    int opened() {
        return openRequests.incrementAndGet();
    }

    void closed() {
        openRequests.decrementAndGet();
    }

    int openRequests() {
        return openRequests.get();
    }

    void streamOpened() {
        openStreams.incrementAndGet();
    }

    void streamClosed() {
        openStreams.decrementAndGet();
    }

    void firstByte(long millis) {
        firstByte.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }
}
