package dev.minitron.worker.tracing;

import static dev.minitron.worker.tracing.SemConv.ERROR_TYPE;
import static dev.minitron.worker.tracing.SemConv.GEN_AI_OUTPUT_MESSAGES;
import static dev.minitron.worker.tracing.SemConv.GEN_AI_RESPONSE_FINISH_REASONS;
import static dev.minitron.worker.tracing.SemConv.GEN_AI_USAGE_INPUT_TOKENS;
import static dev.minitron.worker.tracing.SemConv.GEN_AI_USAGE_OUTPUT_TOKENS;
import static dev.minitron.worker.tracing.SemConv.PREEMPTIONS;
import static dev.minitron.worker.tracing.SemConv.USAGE_CACHED_TOKENS;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.RequestOutput;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.header.Header;

/**
 * One request's spans: the CONSUMER span of its prompt record (ended when the engine takes the
 * request) and the GenAI request span under it, with events {@code queued}, {@code scheduled},
 * {@code first_token}, {@code preempted}, {@code finished}, ended when the broker acknowledges the
 * completion; then the phases {@code queue}, {@code prefill}, {@code decode} and {@code publish}
 * become child spans from the recorded times. Every output record carries {@link #headers()}: the
 * request span's context.
 *
 * <p>Threads: created and handed over on the poll thread; the engine thread reports scheduling,
 * tokens and the end; the producer's I/O thread reports the acknowledgement. The times it keeps are
 * written before the record whose acknowledgement reads them is sent, so the producer orders them.
 */
public final class RequestTrace {

    /** No spans; answers carry the incoming context, or nothing. */
    public static final RequestTrace NONE = new RequestTrace(null, Span.getInvalid(), Span.getInvalid(), List.of(), false);

    private final Telemetry telemetry;   // null for NONE
    private final Span process;
    private final Span request;
    private final List<Header> headers;
    private final boolean captureContent;
    private final AtomicBoolean ended = new AtomicBoolean();
    private long queuedNanos;
    private long scheduledNanos;
    private long firstTokenNanos;
    private long finishedNanos;
    private int preemptions;

    RequestTrace(Telemetry telemetry, Span process, Span request, List<Header> headers, boolean captureContent) {
        this.telemetry = telemetry;
        this.process = process;
        this.request = request;
        this.headers = headers;
        this.captureContent = captureContent;
    }

    /** The headers every output record of this request carries (traceparent, tracestate). */
    public List<Header> headers() {
        return headers;
    }

    /** The request span's context: what engine step spans link to. */
    public SpanContext requestContext() {
        return request.getSpanContext();
    }

    /** Poll thread, just before the request is handed to the engine (again, if the engine's queue was full). */
    public void handedToEngine(long nanoTime) {
        queuedNanos = nanoTime;
        request.addEvent("queued", epoch(queuedNanos), TimeUnit.NANOSECONDS);
        process.end(epoch(queuedNanos), TimeUnit.NANOSECONDS);
    }

    /** Engine thread: first scheduled; its wait in the queue is over. */
    public void scheduled(long nanoTime) {
        scheduledNanos = nanoTime;
        request.addEvent("scheduled", epoch(nanoTime), TimeUnit.NANOSECONDS);
    }

    /** Engine thread: its KV was taken for others; it will be computed again. */
    public void preempted(long nanoTime) {
        preemptions++;
        request.addEvent("preempted", epoch(nanoTime), TimeUnit.NANOSECONDS);
    }

    /** Engine thread: one output step. */
    public void token(RequestOutput.TokenDelta delta) {
        if (firstTokenNanos == 0 && delta.tokenIds().length > 0) {
            firstTokenNanos = System.nanoTime();
            request.addEvent("first_token", epoch(firstTokenNanos), TimeUnit.NANOSECONDS);
        }
    }

    /** Engine thread: the engine's last word on the request, before its completion is sent. */
    public void finished(RequestOutput.Finished f) {
        finishedNanos = System.nanoTime();
        String reason = f.reason().name().toLowerCase(Locale.ROOT);
        request.setAttribute(GEN_AI_USAGE_INPUT_TOKENS, (long) f.promptTokens());
        request.setAttribute(GEN_AI_USAGE_OUTPUT_TOKENS, (long) f.completionTokens());
        request.setAttribute(USAGE_CACHED_TOKENS, (long) f.cachedTokens());
        request.setAttribute(GEN_AI_RESPONSE_FINISH_REASONS, List.of(reason));
        request.setAttribute(PREEMPTIONS, (long) preemptions);
        if (f.reason() == FinishReason.ERROR) {
            request.setStatus(StatusCode.ERROR, f.errorCode());
            request.setAttribute(ERROR_TYPE, f.errorCode() == null ? "engine_error" : f.errorCode());
        }
        if (captureContent) {
            request.setAttribute(GEN_AI_OUTPUT_MESSAGES, Content.outputMessages(f.text(), reason));
        }
        request.addEvent("finished", epoch(finishedNanos), TimeUnit.NANOSECONDS);
    }

    /** Producer thread: the broker acknowledged the completion; the request span ends. */
    public void published() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        long now = System.nanoTime();
        long queued = queuedNanos;
        long end = finishedNanos == 0 ? now : finishedNanos;
        long scheduled = scheduledNanos == 0 ? end : scheduledNanos;
        phase("queue", queued, scheduled);
        if (scheduledNanos != 0) {
            long firstToken = firstTokenNanos == 0 ? end : firstTokenNanos;
            phase("prefill", scheduled, firstToken);
            if (firstTokenNanos != 0) {
                phase("decode", firstToken, end);
            }
        }
        phase("publish", end, now);
        request.end(epoch(now), TimeUnit.NANOSECONDS);
    }

    /** The completion could not be written: the prompt stays uncommitted and is redelivered. */
    public void notPublished(String why) {
        end("not_published", why);
    }

    /** The partition moved away (rebalance, shutdown): another owner answers the prompt. */
    public void revoked() {
        process.end();   // no-op when already ended
        end("revoked", null);
    }

    private void end(String event, String errorType) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        request.addEvent(event);
        if (errorType != null) {
            request.setStatus(StatusCode.ERROR, event);
            request.setAttribute(ERROR_TYPE, errorType);
        }
        request.end();
    }

    private void phase(String name, long fromNanos, long toNanos) {
        if (telemetry == null || fromNanos == 0 || toNanos < fromNanos) {
            return;
        }
        telemetry.tracer().spanBuilder(name)
                .setParent(Context.root().with(request))
                .setStartTimestamp(epoch(fromNanos), TimeUnit.NANOSECONDS)
                .startSpan()
                .end(epoch(toNanos), TimeUnit.NANOSECONDS);
    }

    private long epoch(long nanoTime) {
        return telemetry == null ? 0 : telemetry.epochNanos(nanoTime);
    }
}
