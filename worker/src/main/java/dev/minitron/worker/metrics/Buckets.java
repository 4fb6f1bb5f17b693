package dev.minitron.worker.metrics;

import java.time.Duration;

/**
 * Histogram bucket bounds, in seconds. The {@code minitron:} histograms use vLLM's bounds so that
 * dashboards and alerts written for vLLM read the same; the {@code gen_ai.server.*} ones use the
 * explicit boundaries the OpenTelemetry GenAI semantic conventions recommend.
 */
final class Buckets {

    /** vLLM {@code time_to_first_token_seconds}. */
    static final Duration[] TTFT = seconds(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
            2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0);
    /** vLLM {@code inter_token_latency_seconds}. */
    static final Duration[] INTER_TOKEN = seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0);
    /** vLLM's request latency bounds ({@code e2e_request_latency_seconds}, {@code request_queue_time_seconds}). */
    static final Duration[] REQUEST = seconds(0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0,
            40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0);

    /** OpenTelemetry {@code gen_ai.server.time_to_first_token}. */
    static final Duration[] OTEL_TTFT = seconds(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1.0, 2.5, 5.0, 7.5, 10.0);
    /** OpenTelemetry {@code gen_ai.server.time_per_output_token}. */
    static final Duration[] OTEL_TPOT = seconds(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
            1.0, 2.5);
    /** OpenTelemetry {@code gen_ai.server.request.duration}. */
    static final Duration[] OTEL_REQUEST = seconds(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
            10.24, 20.48, 40.96, 81.92);

    private Buckets() {
    }

    private static Duration[] seconds(double... bounds) {
        Duration[] out = new Duration[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            out[i] = Duration.ofNanos(Math.round(bounds[i] * 1e9));
        }
        return out;
    }
}
