package dev.minitron.worker.metrics;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.worker.engine.EngineHolder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per-request latency histograms and finish counters, fed by each request's engine outputs as the
 * worker's sink sees them (on the engine thread). Every meter is created up front, so recording is
 * a few atomic adds and no allocation: the token path stays as cheap as it was. Labels are the
 * model and the finish reason only; never a request id or any text.
 *
 * <p>vLLM's names under {@code minitron:}, and the OpenTelemetry GenAI server metrics
 * ({@code gen_ai.server.*}) for collectors that follow the semantic conventions. A request arrives
 * when its prompt record was written, as in the completion's {@code timing}: a backlog waits in
 * Kafka rather than in the engine's queue, and it is part of what the client waits for.
 */
@Startup
@Singleton   // no client proxy on the token path; created at startup so every series exists before the first request
public class RequestMetrics {

    /** The {@code gen_ai.operation.name} of a prompt → completion request. */
    static final String OPERATION = "text_completion";

    private final LongSupplier nanoClock;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer e2eLatency;
    private final Timer queueTime;
    private final Timer genAiTimeToFirstToken;
    private final Timer genAiTimePerOutputToken;
    private final Timer genAiRequestDuration;
    private final Counter[] finished = new Counter[FinishReason.values().length];   // by ordinal

    @Inject
    public RequestMetrics(MeterRegistry registry, EngineHolder engine) {
        this(registry, engine.modelName(), System::nanoTime);
    }

    public RequestMetrics(MeterRegistry registry, String modelName, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        Tags model = Tags.of("model_name", modelName);
        timeToFirstToken = timer(registry, "minitron:time_to_first_token", model, Buckets.TTFT,
                "Arrival in the engine to the first generated token");
        interTokenLatency = timer(registry, "minitron:inter_token_latency", model, Buckets.INTER_TOKEN,
                "Time between two consecutive output tokens of a request");
        e2eLatency = timer(registry, "minitron:e2e_request_latency", model, Buckets.REQUEST,
                "Arrival in the engine to the request's end");
        queueTime = timer(registry, "minitron:request_queue_time", model, Buckets.REQUEST,
                "Arrival in the engine to first scheduled (waiting phase)");
        Tags genAi = Tags.of("gen_ai.operation.name", OPERATION, "gen_ai.request.model", modelName);
        genAiTimeToFirstToken = timer(registry, "gen_ai.server.time_to_first_token", genAi, Buckets.OTEL_TTFT,
                "Time to generate first token for successful responses");
        genAiTimePerOutputToken = timer(registry, "gen_ai.server.time_per_output_token", genAi, Buckets.OTEL_TPOT,
                "Time per output token generated after the first token for successful responses");
        genAiRequestDuration = timer(registry, "gen_ai.server.request.duration", genAi, Buckets.OTEL_REQUEST,
                "Generative AI server request duration, to the last output token");
        for (FinishReason reason : FinishReason.values()) {
            finished[reason.ordinal()] = Counter.builder("minitron:request_success")
                    .description("Finished requests, by finish reason")
                    .tags(model).tag("finished_reason", reason.wireName())
                    .register(registry);
        }
    }

    private static Timer timer(MeterRegistry registry, String name, Tags tags, Duration[] buckets, String help) {
        return Timer.builder(name).description(help).tags(tags).serviceLevelObjectives(buckets).register(registry);
    }

    /**
     * Wraps one request's sink so that its outputs are measured before they are published.
     *
     * @param millisBeforeEngine from the prompt record's timestamp to the hand-over to the engine
     */
    public RequestSink observe(long millisBeforeEngine, RequestSink sink) {
        return observe(millisBeforeEngine, () -> false, sink);
    }

    /**
     * Same, for a request that may be revoked (its partition moved to another worker, which answers
     * and counts it): once {@code revoked} is true its outputs are no longer measured here.
     */
    public RequestSink observe(long millisBeforeEngine, java.util.function.BooleanSupplier revoked, RequestSink sink) {
        return new TimedSink(this, millisBeforeEngine, revoked, sink);
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    /** {@code nanos} since the previous delta, which carried {@code tokens} tokens: one ITL sample per token. */
    void interToken(long nanos, int tokens) {
        if (tokens <= 1) {
            interTokenLatency.record(nanos, TimeUnit.NANOSECONDS);
            return;
        }
        long each = nanos / tokens;
        for (int i = 0; i < tokens; i++) {
            interTokenLatency.record(each, TimeUnit.NANOSECONDS);
        }
    }

    /** The engine's times count from its own arrival; {@code before} adds the time before the engine. */
    void finished(RequestOutput.Finished f, long before) {
        finished[f.reason().ordinal()].increment();
        queueTime.record(before + f.queuedMillis(), TimeUnit.MILLISECONDS);
        e2eLatency.record(before + f.durationMillis(), TimeUnit.MILLISECONDS);
        genAiRequestDuration.record(before + f.durationMillis(), TimeUnit.MILLISECONDS);
        if (f.ttftMillis() == null) {
            return;
        }
        long ttft = f.ttftMillis();
        timeToFirstToken.record(before + ttft, TimeUnit.MILLISECONDS);
        if (f.reason() == FinishReason.STOP || f.reason() == FinishReason.LENGTH) {
            genAiTimeToFirstToken.record(before + ttft, TimeUnit.MILLISECONDS);
            if (f.completionTokens() > 1) {
                long afterFirst = Math.max(0, f.durationMillis() - ttft) * 1_000_000L;
                genAiTimePerOutputToken.record(afterFirst / (f.completionTokens() - 1), TimeUnit.NANOSECONDS);
            }
        }
    }
}
