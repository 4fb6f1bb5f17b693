package dev.minitron.worker.e2e;

import static dev.minitron.worker.e2e.OutputCollector.hasEventOn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.engine.EngineHolder;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole path against a real KRaft broker and a real (tiny, random-weight) checkpoint: prompt
 * records in, token streams, completions and error events out, offsets committed after answers.
 */
@QuarkusTest
@QuarkusTestResource(value = WorkerTestResources.class, restrictToAnnotatedClass = true)
class EndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    EngineHolder engine;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @TestHTTPResource("/q/health/live")
    URI live;

    private KafkaProducer<String, byte[]> producer;
    private OutputCollector outputs;

    @BeforeEach
    void connect() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
        outputs = new OutputCollector(bootstrap, List.of(Topics.TOKENS, Topics.COMPLETIONS, Topics.ERRORS));
    }

    @AfterEach
    void disconnect() {
        producer.close();
        outputs.close();
    }

    @Test
    void promptYieldsOrderedTokenEventsAndExactlyOneCompletion() throws Exception {
        send("e2e-one", "{\"id\":\"e2e-one\",\"prompt\":\"The quick brown fox\",\"max_tokens\":12,\"temperature\":0}");

        var events = outputs.awaitFor("e2e-one", hasEventOn(Topics.COMPLETIONS), WAIT);

        List<JsonNode> tokens = on(events, Topics.TOKENS);
        List<JsonNode> completions = on(events, Topics.COMPLETIONS);
        assertThat(completions).hasSize(1);
        JsonNode completion = completions.getFirst();
        assertThat(completion.get("finish_reason").asText()).isIn("stop", "length");
        assertThat(completion.get("attempt").asInt()).isEqualTo(1);
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(tokens.get(i).get("seq").asInt()).isEqualTo(i);
        }
        StringBuilder streamed = new StringBuilder();
        int streamedIds = 0;
        for (JsonNode t : tokens) {
            streamed.append(t.get("text").asText());
            streamedIds += t.get("token_ids").size();
        }
        assertThat(streamed.toString()).isEqualTo(completion.get("text").asText());
        JsonNode usage = completion.get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(streamedIds).isBetween(1, 12);
        assertThat(usage.get("prompt_tokens").asInt()).isPositive();
        JsonNode timing = completion.get("timing");
        assertThat(timing.get("duration_ms").asLong()).isGreaterThanOrEqualTo(timing.get("queued_ms").asLong());
        assertThat(completion.get("model").asText()).isNotBlank();
    }

    @Test
    void twoConcurrentPromptsAreBatchedAndEachMatchesItsSoloRun() throws Exception {
        String a = "{\"id\":\"%s\",\"prompt\":\"Once upon a time\",\"max_tokens\":24,\"temperature\":0,\"ignore_eos\":true}";
        String b = "{\"id\":\"%s\",\"prompt\":\"In the beginning there was\",\"max_tokens\":24,\"temperature\":0,\"ignore_eos\":true}";
        send("solo-a", a.formatted("solo-a"));
        String soloText = completion("solo-a").get("text").asText();

        long stepsBefore = engine.engine().stats().numSteps();
        send("pair-a", a.formatted("pair-a"));
        send("pair-b", b.formatted("pair-b"));
        JsonNode pairA = completion("pair-a");
        JsonNode pairB = completion("pair-b");
        long steps = engine.engine().stats().numSteps() - stepsBefore;

        assertThat(pairA.get("usage").get("completion_tokens").asInt()).isEqualTo(24);
        assertThat(pairB.get("usage").get("completion_tokens").asInt()).isEqualTo(24);
        assertThat(pairA.get("text").asText()).isEqualTo(soloText);
        // Alone, the two would take 2 × 24 steps; sharing steps proves continuous batching.
        assertThat(steps).isLessThan(40);
    }

    @Test
    void malformedJsonYieldsAnErrorEventAndTheNextPromptIsStillServed() throws Exception {
        RecordMetadata bad = send("bad-json", "{\"id\":\"bad-json\",\"prompt\":");
        var errors = outputs.awaitFor("bad-json", hasEventOn(Topics.ERRORS), WAIT);
        JsonNode error = on(errors, Topics.ERRORS).getFirst();
        assertThat(error.get("code").asText()).isEqualTo("invalid_json");
        assertThat(error.get("source").get("offset").asLong()).isEqualTo(bad.offset());
        assertThat(error.get("raw_value").asText()).startsWith("{\"id\":\"bad-json\"");

        send("after-bad", "{\"id\":\"after-bad\",\"prompt\":\"Hello\",\"max_tokens\":4}");
        assertThat(completion("after-bad").get("finish_reason").asText()).isIn("stop", "length");
    }

    @Test
    void schemaViolationsNameTheFieldAndTheRule() throws Exception {
        send("hot", "{\"id\":\"hot\",\"prompt\":\"x\",\"temperature\":7.5}");
        send("typo", "{\"id\":\"typo\",\"prompt\":\"x\",\"max_token\":5}");
        JsonNode hot = on(outputs.awaitFor("hot", hasEventOn(Topics.ERRORS), WAIT), Topics.ERRORS).getFirst();
        JsonNode typo = on(outputs.awaitFor("typo", hasEventOn(Topics.ERRORS), WAIT), Topics.ERRORS).getFirst();
        assertThat(hot.get("code").asText()).isEqualTo("value_out_of_range");
        assertThat(hot.get("message").asText()).contains("temperature");
        assertThat(typo.get("code").asText()).isEqualTo("unknown_field");
        assertThat(typo.get("message").asText()).contains("max_token");
    }

    @Test
    void tooLongPromptIsAnsweredWithAnErrorCompletion() throws Exception {
        String longPrompt = "word ".repeat(3000);
        send("too-long", "{\"id\":\"too-long\",\"prompt\":\"" + longPrompt + "\"}");
        JsonNode c = completion("too-long");
        assertThat(c.get("finish_reason").asText()).isEqualTo("error");
        assertThat(c.get("error").get("code").asText()).isEqualTo("prompt_too_long");
    }

    @Test
    void offsetIsCommittedOnceTheCompletionIsAcknowledged() throws Exception {
        RecordMetadata m = send("commit-me", "{\"id\":\"commit-me\",\"prompt\":\"Hi\",\"max_tokens\":3}");
        completion("commit-me");
        TopicPartition tp = new TopicPartition(m.topic(), m.partition());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            long committed = -1;
            while (committed <= m.offset() && System.nanoTime() < deadline) {
                var offsets = admin.listConsumerGroupOffsets("minitron-workers").partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                committed = offsets.get(tp) == null ? -1 : offsets.get(tp).offset();
                Thread.sleep(100);
            }
            assertThat(committed).isGreaterThan(m.offset());
        }
    }

    @Test
    void nonStreamingPromptGetsOnlyItsCompletion() throws Exception {
        send("quiet", "{\"id\":\"quiet\",\"prompt\":\"Shh\",\"max_tokens\":5,\"stream\":false,\"metadata\":{\"k\":\"v\"}}");
        JsonNode c = completion("quiet");
        assertThat(on(outputs.eventsFor("quiet"), Topics.TOKENS)).isEmpty();
        assertThat(c.get("metadata").get("k").asText()).isEqualTo("v");
        assertThat(c.get("usage").get("completion_tokens").asInt()).isPositive();
    }

    @Test
    void aBurstBeyondMaxInFlightIsPausedInKafkaAndStillFullyAnswered() throws Exception {
        int n = 24;   // the test worker admits 4 at a time (minitron.consumer.max-in-flight=4)
        for (int i = 0; i < n; i++) {
            send("burst-" + i, "{\"id\":\"burst-%d\",\"prompt\":\"Burst %d\",\"max_tokens\":6}".formatted(i, i));
        }
        for (int i = 0; i < n; i++) {
            assertThat(completion("burst-" + i).get("id").asText()).isEqualTo("burst-" + i);
        }
    }

    @Test
    void healthEndpointsReportReadyAndLive() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        for (URI uri : List.of(ready, live)) {
            var response = http.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(uri.toString()).isEqualTo(200);
            assertThat(response.body()).contains("\"status\": \"UP\"");
        }
    }

    @Test
    void errorForARecordWithoutAnIdIsKeyedByTheRecordsOwnKey() throws Exception {
        send("keyed-no-id", "{\"prompt\":\"Hi\"}");
        var events = outputs.awaitFor("keyed-no-id", hasEventOn(Topics.ERRORS), WAIT);
        JsonNode error = on(events, Topics.ERRORS).getFirst();
        assertThat(error.get("code").asText()).isEqualTo("invalid_request");
        assertThat(error.get("id").isNull()).isTrue();
    }

    @Test
    void cancelStopsARunningGeneration() throws Exception {
        send("cancel-me", "{\"id\":\"cancel-me\",\"prompt\":\"Keep going\",\"max_tokens\":480,\"ignore_eos\":true}");
        outputs.awaitFor("cancel-me", hasEventOn(Topics.TOKENS), WAIT);
        sendTo(Topics.CANCELS, "cancel-me", "{\"id\":\"cancel-me\"}");
        JsonNode c = completion("cancel-me");
        assertThat(c.get("finish_reason").asText()).isEqualTo("cancelled");
        assertThat(c.get("usage").get("completion_tokens").asInt()).isLessThan(480);
    }

    @Test
    void cancelThatArrivesFirstStopsThePromptFromRunning() throws Exception {
        sendTo(Topics.CANCELS, "cancel-early", "{\"id\":\"cancel-early\"}");
        Thread.sleep(500);   // the worker reads cancels within a poll; a prompt may arrive any time later
        send("cancel-early", "{\"id\":\"cancel-early\",\"prompt\":\"Never mind\",\"max_tokens\":200,\"ignore_eos\":true}");
        JsonNode c = completion("cancel-early");
        assertThat(c.get("finish_reason").asText()).isEqualTo("cancelled");
        assertThat(c.get("usage").get("completion_tokens").asInt()).isLessThanOrEqualTo(1);
    }

    private JsonNode completion(String id) {
        return on(outputs.awaitFor(id, hasEventOn(Topics.COMPLETIONS), WAIT), Topics.COMPLETIONS).getFirst();
    }

    private RecordMetadata send(String key, String json) throws Exception {
        return sendTo(Topics.PROMPTS, key, json);
    }

    private RecordMetadata sendTo(String topic, String key, String json) throws Exception {
        return producer.send(new ProducerRecord<>(topic, key, json.getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
    }

    private static List<JsonNode> on(List<OutputCollector.Event> events, String topic) {
        return events.stream().filter(e -> e.topic().equals(topic)).map(OutputCollector.Event::value).toList();
    }
}
