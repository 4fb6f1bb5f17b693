package dev.minitron.worker.metrics;

import dev.minitron.schemas.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

/**
 * Error events on {@code minitron.errors}, by code, counted when the broker acknowledges them. The
 * codes are a closed set, so every series exists (at 0) from startup and a rate alert needs no
 * {@code absent()}.
 */
@Startup
@Singleton   // created at startup: every code's series exists at 0
public class ErrorEventMetrics {

    private final Counter[] published = new Counter[ErrorCode.values().length];   // by ordinal

    public ErrorEventMetrics(MeterRegistry registry) {
        for (ErrorCode code : ErrorCode.values()) {
            published[code.ordinal()] = Counter.builder("minitron:error_events")
                    .description("Error events published to the errors topic, by code")
                    .tag("code", code.wireName())
                    .register(registry);
        }
    }

    public void published(ErrorCode code) {
        if (code != null) {
            published[code.ordinal()].increment();
        }
    }
}
