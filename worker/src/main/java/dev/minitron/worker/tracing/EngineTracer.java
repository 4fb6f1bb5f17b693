package dev.minitron.worker.tracing;

import static dev.minitron.worker.tracing.SemConv.*;

import dev.minitron.engine.EngineObserver;
import dev.minitron.engine.EngineStep;
import dev.minitron.worker.config.WorkerConfig;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The engine's side of tracing: routes the engine's scheduling reports to each request's
 * {@link RequestTrace}, and records a sampled few steps as {@code engine.step} spans (each a trace
 * of its own, linking to the request spans of its batch): every {@code step-sample-every}-th step and
 * every step slower than {@code slow-step}. An unsampled step costs a map-free check.
 */
@ApplicationScoped
public class EngineTracer implements EngineObserver {

    private final Telemetry telemetry;
    private final long every;
    private final long slowNanos;
    private final Map<String, RequestTrace> byEngineId = new ConcurrentHashMap<>();
    /** Ended during the current step: kept until the step is reported, so its span still links to them. */
    private final List<String> endedThisStep = new ArrayList<>();   // engine thread only

    public EngineTracer(Telemetry telemetry, WorkerConfig config) {
        this.telemetry = telemetry;
        this.every = config.tracing().stepSampleEvery();
        this.slowNanos = config.tracing().slowStep().toNanos();
    }

    /** What the engine should report to: nothing at all when no span is exported. */
    public EngineObserver observer() {
        return telemetry.exporting() ? this : EngineObserver.NONE;
    }

    /** A request handed to the engine under this id; {@link #forget} it on its last output. */
    public void track(String engineRequestId, RequestTrace trace) {
        if (trace != RequestTrace.NONE && telemetry.exporting()) {
            byEngineId.put(engineRequestId, trace);
        }
    }

    /** A request the engine refused to queue (poll thread): it never reached the engine. */
    public void untrack(String engineRequestId) {
        byEngineId.remove(engineRequestId);
    }

    /** Engine thread (a request's last output is emitted there). */
    public void forget(String engineRequestId) {
        if (byEngineId.containsKey(engineRequestId)) {
            endedThisStep.add(engineRequestId);
        }
    }

    @Override
    public void scheduled(String requestId, long nanoTime) {
        RequestTrace trace = byEngineId.get(requestId);
        if (trace != null) {
            trace.scheduled(nanoTime);
        }
    }

    @Override
    public void preempted(String requestId, long nanoTime) {
        RequestTrace trace = byEngineId.get(requestId);
        if (trace != null) {
            trace.preempted(nanoTime);
        }
    }

    @Override
    public void stepFinished(EngineStep step) {
        try {
            record(step);
        } finally {
            endedThisStep.forEach(byEngineId::remove);
            endedThisStep.clear();
        }
    }

    private void record(EngineStep step) {
        boolean counted = every > 0 && step.number() % every == 0;
        boolean slow = step.durationNanos() >= slowNanos;
        if (!counted && !slow && !step.failed()) {
            return;
        }
        var builder = telemetry.tracer().spanBuilder("engine.step")
                .setNoParent()
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(telemetry.epochNanos(step.startNanos()), TimeUnit.NANOSECONDS)
                .setAttribute(STEP_NUMBER, step.number())
                .setAttribute(STEP_TOKENS, (long) step.numTokens())
                .setAttribute(STEP_PREFILL_TOKENS, (long) step.numPrefillTokens())
                .setAttribute(STEP_BATCH_SIZE, (long) step.requestIds().length)
                .setAttribute(STEP_PREEMPTED, (long) step.numPreempted())
                .setAttribute(STEP_SAMPLED_BY, step.failed() ? "failed" : slow ? "slow" : "every");
        for (String id : step.requestIds()) {
            RequestTrace trace = byEngineId.get(id);
            if (trace != null && trace.requestContext().isValid()) {
                builder.addLink(trace.requestContext());
            }
        }
        var span = builder.startSpan();
        if (step.failed()) {
            span.setStatus(StatusCode.ERROR, "the model step failed");
        }
        span.end(telemetry.epochNanos(step.endNanos()), TimeUnit.NANOSECONDS);
    }
}
