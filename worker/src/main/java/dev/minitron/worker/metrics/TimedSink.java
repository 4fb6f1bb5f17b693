package dev.minitron.worker.metrics;

import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;

/**
 * One request's sink, measured: the inter-token latency is the time between consecutive token
 * deltas as they reach the worker (what a streaming client sees, less Kafka), and the finish
 * carries the engine's own TTFT, queue and end-to-end times, to which the time the prompt spent
 * in Kafka is added. Engine thread only, like every sink.
 */
final class TimedSink implements RequestSink {

    private final RequestMetrics metrics;
    private final RequestSink next;
    private final long millisBeforeEngine;
    private final java.util.function.BooleanSupplier revoked;
    private long lastTokenNanos = -1;

    TimedSink(RequestMetrics metrics, long millisBeforeEngine, java.util.function.BooleanSupplier revoked,
              RequestSink next) {
        this.metrics = metrics;
        this.millisBeforeEngine = millisBeforeEngine;
        this.revoked = revoked;
        this.next = next;
    }

    @Override
    public void accept(RequestOutput output) {
        if (revoked.getAsBoolean()) {   // the new owner of its partition answers and counts it
            next.accept(output);
            return;
        }
        switch (output) {
            case RequestOutput.TokenDelta delta when delta.tokenIds().length > 0 -> {
                long now = metrics.nanoTime();
                if (lastTokenNanos >= 0) {
                    metrics.interToken(now - lastTokenNanos, delta.tokenIds().length);
                }
                lastTokenNanos = now;
            }
            case RequestOutput.TokenDelta empty -> {
            }
            case RequestOutput.Finished finished -> metrics.finished(finished, millisBeforeEngine);
        }
        next.accept(output);
    }
}
