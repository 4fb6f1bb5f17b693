package dev.minitron.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RequestMetricsTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private long now;
    private final RequestMetrics metrics = new RequestMetrics(registry, "tiny", () -> now);
    private final List<RequestOutput> published = new ArrayList<>();
    private final RequestSink sink = metrics.observe(0, published::add);

    @Test
    void interTokenLatencyIsTheGapBetweenConsecutiveDeltas() {
        delta(0, 0);
        delta(1, 10);
        delta(2, 30);

        Timer itl = timer("minitron:inter_token_latency");
        assertThat(itl.count()).isEqualTo(2);
        assertThat(itl.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(30);
        assertThat(itl.max(TimeUnit.MILLISECONDS)).isEqualTo(20);
    }

    @Test
    void aDeltaOfSeveralTokensCountsOneGapPerToken() {
        delta(0, 0);
        now = 30_000_000L;
        sink.accept(new RequestOutput.TokenDelta("r", 1, new int[] {4, 5, 6}, "abc", null));

        assertThat(timer("minitron:inter_token_latency").count()).isEqualTo(3);
        assertThat(timer("minitron:inter_token_latency").max(TimeUnit.MILLISECONDS)).isEqualTo(10);
    }

    @Test
    void aFinishRecordsTheEnginesTimesAndItsReason() {
        sink.accept(finished(FinishReason.LENGTH, 5, 3L, 50L, 250L));

        assertThat(timer("minitron:time_to_first_token").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);
        assertThat(timer("minitron:request_queue_time").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3);
        assertThat(timer("minitron:e2e_request_latency").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
        assertThat(timer("gen_ai.server.request.duration").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
        assertThat(timer("gen_ai.server.time_to_first_token").count()).isEqualTo(1);
        // (250 - 50) ms over the 4 tokens after the first
        assertThat(timer("gen_ai.server.time_per_output_token").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50);
        assertThat(success("length")).isEqualTo(1);
        assertThat(success("stop")).isZero();
    }

    @Test
    void timeInKafkaBeforeTheEngineCountsAsWaiting() {
        var fromRecord = metrics.observe(100, published::add);
        fromRecord.accept(finished(FinishReason.STOP, 3, 2L, 10L, 30L));

        assertThat(timer("minitron:request_queue_time").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(102);
        assertThat(timer("minitron:time_to_first_token").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(110);
        assertThat(timer("minitron:e2e_request_latency").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(130);
        // per output token: the time after the first token only, so the wait does not count
        assertThat(timer("gen_ai.server.time_per_output_token").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10);
    }

    @Test
    void aFailedRequestCountsItsReasonButNoSuccessLatencies() {
        sink.accept(finished(FinishReason.ERROR, 0, 0L, null, 0L));
        sink.accept(finished(FinishReason.CANCELLED, 3, 1L, 20L, 40L));

        assertThat(success("error")).isEqualTo(1);
        assertThat(success("cancelled")).isEqualTo(1);
        assertThat(timer("minitron:time_to_first_token").count()).isEqualTo(1);   // the cancelled one had a token
        assertThat(timer("gen_ai.server.time_to_first_token").count()).isZero();   // successful responses only
        assertThat(timer("gen_ai.server.time_per_output_token").count()).isZero();
        assertThat(timer("gen_ai.server.request.duration").count()).isEqualTo(2);
    }

    @Test
    void everyOutputStillReachesTheWrappedSinkInOrder() {
        delta(0, 0);
        var end = finished(FinishReason.STOP, 1, 0L, 5L, 5L);
        sink.accept(end);

        assertThat(published).hasSize(2).last().isSameAs(end);
    }

    /** Micrometer's Prometheus naming keeps ':' (legal in Prometheus names), so vLLM's style survives. */
    @Test
    void prometheusNamesKeepTheColonPrefixAndOtelNamesGetUnderscores() {
        var prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var m = new RequestMetrics(prometheus, "tiny", () -> 0);
        m.finished(finished(FinishReason.STOP, 2, 1L, 2L, 3L), 0);

        String text = prometheus.scrape();
        assertThat(text)
                .contains("minitron:time_to_first_token_seconds_bucket{model_name=\"tiny\",le=\"0.005\",} 1.0")
                .contains("minitron:request_success_total{finished_reason=\"stop\",model_name=\"tiny\",} 1.0")
                .contains("gen_ai_server_time_to_first_token_seconds_count{gen_ai_operation_name=\"text_completion\","
                        + "gen_ai_request_model=\"tiny\",} 1.0")
                .contains("gen_ai_server_request_duration_seconds_bucket");
    }

    private void delta(int seq, long atMillis) {
        now = atMillis * 1_000_000L;
        sink.accept(new RequestOutput.TokenDelta("r", seq, new int[] {seq}, "t", null));
    }

    private static RequestOutput.Finished finished(FinishReason reason, int tokens, long queued, Long ttft, long duration) {
        return new RequestOutput.Finished("r", reason, "", new int[tokens], 4, tokens, 0, queued, ttft, duration,
                reason == FinishReason.ERROR ? "engine_error" : null, null);
    }

    private Timer timer(String name) {
        return registry.get(name).timer();
    }

    private double success(String reason) {
        return registry.get("minitron:request_success").tag("finished_reason", reason).counter().count();
    }
}
