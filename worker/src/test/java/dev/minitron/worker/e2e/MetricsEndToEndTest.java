package dev.minitron.worker.e2e;

import dev.minitron.worker.testing.Scrape;
import static dev.minitron.worker.e2e.OutputCollector.hasEventOn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.testing.Promtool;
import dev.minitron.worker.testing.StrictTextFormat;
import dev.minitron.worker.testing.TestProducers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The serving metrics, scraped from /q/metrics after real prompts went through a real broker and
 * a real (tiny) model: the counters agree with the completions, the histograms counted every
 * request and token, and the gauges come back to idle.
 */
@QuarkusTest
@QuarkusTestResource(value = WorkerTestResources.class, restrictToAnnotatedClass = true)
class MetricsEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String PROMPT = "{\"id\":\"%s\",\"prompt\":\"%s\",\"max_tokens\":%d,\"temperature\":0,\"ignore_eos\":true}";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    EngineHolder engine;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    private KafkaProducer<String, byte[]> producer;
    private OutputCollector outputs;

    @BeforeEach
    void connect() {
        producer = TestProducers.rawValues(bootstrap);
        outputs = new OutputCollector(bootstrap, List.of(Topics.COMPLETIONS, Topics.ERRORS));
    }

    @AfterEach
    void disconnect() {
        producer.close();
        outputs.close();
    }

    /** The names docs/metrics.md lists, there from startup (before any request) so dashboards never see gaps. */
    @Test
    void everyDocumentedSeriesIsExposed() throws Exception {
        Scrape s = Scrape.of(metrics);
        for (String name : List.of("minitron:num_requests_running", "minitron:num_requests_waiting",
                "minitron:kv_cache_usage_perc", "minitron:prompt_tokens_total", "minitron:generation_tokens_total",
                "minitron:num_preemptions_total", "minitron:prefix_cache_queries_total",
                "minitron:prefix_cache_hits_total", "minitron:engine_steps_total",
                "minitron:time_to_first_token_seconds_bucket", "minitron:inter_token_latency_seconds_bucket",
                "minitron:e2e_request_latency_seconds_bucket", "minitron:request_queue_time_seconds_bucket",
                "gen_ai_server_time_to_first_token_seconds_bucket", "gen_ai_server_time_per_output_token_seconds_bucket",
                "gen_ai_server_request_duration_seconds_bucket", "minitron:kafka_paused_partitions",
                "minitron:kafka_partition_paused_seconds_total", "minitron:kafka_records_in_flight",
                "minitron:kafka_records_uncommitted", "minitron:kafka_transactions_total")) {
            assertThat(s.has(name)).as(name).isTrue();
        }
        for (String reason : List.of("stop", "length", "timeout", "cancelled", "error")) {
            assertThat(s.has("minitron:request_success_total", "finished_reason", reason)).as(reason).isTrue();
        }
        assertThat(s.has("minitron:error_events_total", "code", "invalid_json")).isTrue();
        assertThat(s.has("minitron:time_to_first_token_seconds_bucket", "le", "2560.0")).isTrue();
        assertThat(s.has("minitron:inter_token_latency_seconds_bucket", "le", "0.01")).isTrue();
    }

    @Test
    void tokenCountersAndLatencyHistogramsAgreeWithTheCompletions() throws Exception {
        Scrape before = Scrape.of(metrics);
        List<String> ids = List.of("metrics-a", "metrics-b", "metrics-c");
        for (String id : ids) {
            send(id, PROMPT.formatted(id, "Counting tokens for " + id, 9));
        }
        List<JsonNode> completions = ids.stream().map(this::completion).toList();
        Scrape after = Scrape.of(metrics);

        int n = completions.size();
        int generated = sum(completions, c -> c.get("usage").get("completion_tokens").asLong());
        int prompt = sum(completions, c -> c.get("usage").get("prompt_tokens").asLong());
        assertThat(generated).isEqualTo(n * 9);
        assertThat(delta(before, after, "minitron:generation_tokens_total")).isEqualTo(generated);
        assertThat(delta(before, after, "minitron:prompt_tokens_total")).isEqualTo(prompt);
        assertThat(delta(before, after, "minitron:request_success_total", "finished_reason", "length")).isEqualTo(n);
        assertThat(delta(before, after, "minitron:request_success_total", "finished_reason", "error")).isZero();
        assertThat(delta(before, after, "minitron:time_to_first_token_seconds_count")).isEqualTo(n);
        assertThat(delta(before, after, "minitron:e2e_request_latency_seconds_count")).isEqualTo(n);
        assertThat(delta(before, after, "minitron:request_queue_time_seconds_count")).isEqualTo(n);
        // one gap between each two consecutive tokens of a request
        assertThat(delta(before, after, "minitron:inter_token_latency_seconds_count")).isEqualTo(generated - n);
        // the histograms hold the very times the completions report
        assertThat(delta(before, after, "minitron:e2e_request_latency_seconds_sum"))
                .isCloseTo(sum(completions, c -> c.get("timing").get("duration_ms").asLong()) / 1000.0, within(1e-6));
        assertThat(delta(before, after, "minitron:time_to_first_token_seconds_sum"))
                .isCloseTo(sum(completions, c -> c.get("timing").get("ttft_ms").asLong()) / 1000.0, within(1e-6));
        assertThat(delta(before, after, "minitron:e2e_request_latency_seconds_bucket", "le", "+Inf")).isEqualTo(n);

        String[] genAi = {"gen_ai_operation_name", "text_completion", "gen_ai_request_model", engine.modelName()};
        assertThat(delta(before, after, "gen_ai_server_time_to_first_token_seconds_count", genAi)).isEqualTo(n);
        assertThat(delta(before, after, "gen_ai_server_time_per_output_token_seconds_count", genAi)).isEqualTo(n);
        assertThat(delta(before, after, "gen_ai_server_request_duration_seconds_count", genAi)).isEqualTo(n);
    }

    @Test
    void engineGaugesReturnToIdleAfterTheRequestsEnd() throws Exception {
        send("metrics-idle", PROMPT.formatted("metrics-idle", "Use the cache then give it back", 16));
        completion("metrics-idle");

        Scrape idle = await(s -> s.value("minitron:num_requests_running") == 0
                && s.value("minitron:num_requests_waiting") == 0
                && s.value("minitron:kafka_records_in_flight") == 0);
        assertThat(idle.value("minitron:kv_cache_usage_perc", "model_name", engine.modelName())).isZero();
        assertThat(idle.value("minitron:engine_steps_total")).isPositive();
        assertThat(idle.value("minitron:num_preemptions_total")).isZero();
    }

    @Test
    void aRepeatedPromptIsServedFromThePrefixCache() throws Exception {
        String text = "A prompt long enough to fill several blocks of sixteen tokens in the key value cache, "
                + "so that the second request with the same words finds its blocks already computed";
        Scrape before = Scrape.of(metrics);
        send("metrics-prefix-1", PROMPT.formatted("metrics-prefix-1", text, 2));
        JsonNode first = completion("metrics-prefix-1");
        send("metrics-prefix-2", PROMPT.formatted("metrics-prefix-2", text, 2));
        JsonNode second = completion("metrics-prefix-2");
        Scrape after = Scrape.of(metrics);

        int cached = first.get("usage").get("cached_tokens").asInt() + second.get("usage").get("cached_tokens").asInt();
        assertThat(second.get("usage").get("cached_tokens").asInt()).isPositive();
        assertThat(delta(before, after, "minitron:prefix_cache_hits_total")).isEqualTo(cached);
        assertThat(delta(before, after, "minitron:prefix_cache_queries_total")).isGreaterThanOrEqualTo(cached);
    }

    @Test
    void anInvalidRecordIsCountedByItsErrorCode() throws Exception {
        Scrape before = Scrape.of(metrics);
        send("metrics-broken", "{not json");
        outputs.awaitFor("metrics-broken", hasEventOn(Topics.ERRORS), WAIT);

        double base = before.value("minitron:error_events_total", "code", "invalid_json");
        Scrape after = await(s -> s.value("minitron:error_events_total", "code", "invalid_json") == base + 1);
        assertThat(after.value("minitron:error_events_total", "code", "duplicate_id"))
                .isEqualTo(before.value("minitron:error_events_total", "code", "duplicate_id"));
    }

    /** max-in-flight is 4 in these tests: eight prompts on one partition must pause it. */
    @Test
    void backpressurePausesThePartitionAndTheLagDrainsToZero() throws Exception {
        Scrape before = Scrape.of(metrics);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String id = "metrics-burst-" + i;
            ids.add(id);
            sent.add(producer.send(new ProducerRecord<>(Topics.PROMPTS, 0, id,
                    PROMPT.formatted(id, "Burst " + i, 48).getBytes(StandardCharsets.UTF_8))));
        }
        for (var f : sent) {
            f.get(10, TimeUnit.SECONDS);
        }
        ids.forEach(this::completion);

        Scrape idle = await(s -> s.value("minitron:kafka_consumer_lag", "topic", Topics.PROMPTS, "partition", "0") == 0
                && s.value("minitron:kafka_records_uncommitted") == 0
                && s.value("minitron:kafka_records_in_flight") == 0
                && s.value("minitron:kafka_paused_partitions") == 0);
        assertThat(delta(before, idle, "minitron:kafka_partition_paused_seconds_total")).isPositive();
        assertThat(idle.series("minitron:kafka_consumer_lag", "topic", Topics.PROMPTS)).hasSize(4);
    }

    @Test
    void theKafkaClientsOwnMetricsAreExposed() throws Exception {
        send("metrics-client", PROMPT.formatted("metrics-client", "Hello", 2));
        completion("metrics-client");

        Scrape s = await(x -> x.has("kafka_consumer_fetch_manager_records_lag", "topic", Topics.PROMPTS)
                && x.samples().stream().anyMatch(m -> m.name().startsWith("kafka_producer_record_send")));
        assertThat(s.has("kafka_consumer_coordinator_commit_latency_avg")).isTrue();
    }

    /**
     * The page a scraper or {@code curl | promtool check metrics} gets, in both formats Quarkus serves
     * (OpenMetrics without an Accept header, the classic text format for {@code text/plain}), after
     * real requests went through, read by a strict text-format parser, and by promtool where it is
     * installed (Debian's {@code prometheus} package): it exits 1 on a parse error and 3 on lint
     * notes only, which the {@code minitron:} names always raise (docs/metrics.md).
     */
    @Test
    void thePageParsesWithTheStrictTextFormatParser() throws Exception {
        send("metrics-strict", PROMPT.formatted("metrics-strict", "Parse me", 3));
        completion("metrics-strict");

        for (String accept : new String[] {null, "text/plain"}) {
            String page = Scrape.text(metrics, accept);
            assertThat(StrictTextFormat.check(page)).as("samples (Accept %s)", accept).isGreaterThan(100);
            var promtool = Promtool.checkMetrics(page);
            if (promtool != null) {
                assertThat(promtool.exitCode()).as("promtool (Accept %s): %s", accept, promtool.output()).isIn(0, 3);
                assertThat(promtool.output()).doesNotContain("parsing error");
            }
        }
    }

    private Scrape await(Predicate<Scrape> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Scrape s = Scrape.of(metrics);
            if (done.test(s)) {
                return s;
            }
            assertThat(System.nanoTime()).as("metrics never reached the expected state").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static double delta(Scrape before, Scrape after, String name, String... labels) {
        double was = before.has(name, labels) ? before.value(name, labels) : 0;
        return after.value(name, labels) - was;
    }

    private static int sum(List<JsonNode> nodes, java.util.function.ToLongFunction<JsonNode> f) {
        return (int) nodes.stream().mapToLong(f).sum();
    }

    private JsonNode completion(String id) {
        return outputs.awaitFor(id, hasEventOn(Topics.COMPLETIONS), WAIT).stream()
                .filter(e -> e.topic().equals(Topics.COMPLETIONS)).findFirst().orElseThrow().value();
    }

    private void send(String key, String json) throws Exception {
        producer.send(new ProducerRecord<>(Topics.PROMPTS, key, json.getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
    }
}
