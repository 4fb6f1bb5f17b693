package dev.minitron.worker.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.testing.TestProducers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The views against a real KRaft broker and a real worker generating with a tiny checkpoint:
 * prompts go through the worker, and the status, the listing and the usage are read over HTTP
 * from the Kafka Streams stores, and the closed usage window from {@code minitron.usage}.
 */
@QuarkusTest
@QuarkusTestResource(value = StatusTestResources.class, restrictToAnnotatedClass = true)
class StatusEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URI base;

    @Inject
    StatusStreams views;

    private final HttpClient http = HttpClient.newHttpClient();
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void connect() throws Exception {
        producer = TestProducers.rawValues(bootstrap);
        // the view starts in the background: an unknown id is a 503 until it runs, then a 404
        awaitStatus("requests/never-sent", r -> r.statusCode() != 503);
    }

    @AfterEach
    void disconnect() {
        producer.close();
    }

    @Test
    void aPromptIsFollowedFromQueuedToDoneAndItsUsageIsMeteredOnce() throws Exception {
        send("st-one", "{\"id\":\"st-one\",\"prompt\":\"The quick brown fox\",\"max_tokens\":40,"
                + "\"ignore_eos\":true,\"tenant\":\"acme-e2e\"}");
        List<String> seen = new ArrayList<>();
        JsonNode done = pollUntil("requests/st-one", s -> {
            seen.add(s.get("status").asText());
            return s.get("status").asText().equals("done");
        });
        assertThat(seen).as("states only move forward").isSortedAccordingTo(
                (a, b) -> List.of("queued", "running", "done").indexOf(a) - List.of("queued", "running", "done").indexOf(b));

        JsonNode completion = completion("st-one");
        assertThat(done.get("tenant").asText()).isEqualTo("acme-e2e");
        assertThat(done.get("attempts").asInt()).isEqualTo(completion.get("attempt").asInt()).isEqualTo(1);
        assertThat(done.get("tokens").asInt()).isEqualTo(40);
        assertThat(done.get("completion_tokens").asInt()).isEqualTo(40);
        assertThat(done.get("prompt_tokens").asInt()).isEqualTo(completion.get("usage").get("prompt_tokens").asInt());
        assertThat(done.get("finish_reason").asText()).isEqualTo("length");
        assertThat(done.get("worker").asText()).isEqualTo("e2e-worker");

        JsonNode usage = pollUntil("usage/acme-e2e?from=0", u -> u.get("requests").asLong() == 1);
        assertThat(usage.get("completion_tokens").asLong()).isEqualTo(40);
        assertThat(usage.get("prompt_tokens").asLong()).isEqualTo(done.get("prompt_tokens").asLong());
        JsonNode window = usage.get("windows").get(0);
        long windowEnd = window.get("window_end").asLong();
        assertThat(windowEnd - window.get("window_start").asLong()).isEqualTo(StatusTestResources.USAGE_WINDOW_MS);

        // a request completing after the first window ended advances stream time: the window is written
        while (System.currentTimeMillis() <= windowEnd) {
            Thread.sleep(100);
        }
        send("st-two", "{\"id\":\"st-two\",\"prompt\":\"Hello\",\"max_tokens\":3,\"tenant\":\"acme-e2e\"}");
        pollUntil("requests/st-two", s -> s.get("status").asText().equals("done"));
        JsonNode closed = awaitUsageRecord("acme-e2e", window.get("window_start").asLong());
        assertThat(closed.get("requests").asLong()).isEqualTo(1);
        assertThat(closed.get("completion_tokens").asLong()).isEqualTo(40);
        assertThat(closed.get("window_end").asLong()).isEqualTo(windowEnd);
    }

    @Test
    void anInvalidPromptEndsInErrorWithTheErrorEventsCode() throws Exception {
        send("st-bad", "{\"id\":\"st-bad\",\"prompt\":");
        JsonNode error = pollUntil("requests/st-bad", s -> s.get("status").asText().equals("error"));
        assertThat(error.get("error_code").asText()).isEqualTo("invalid_json");
        assertThat(error.get("metered").asBoolean()).isFalse();
    }

    @Test
    void theInstanceAdvertisesTheHttpPortItActuallyServesOn() {
        assertThat(views.self().host()).isEqualTo("localhost");
        assertThat(views.self().port()).isEqualTo(base.getPort());
    }

    @Test
    void unknownIdsAre404AndBadParametersAre400() throws Exception {
        assertThat(get("requests/nobody-sent-this").statusCode()).isEqualTo(404);
        assertThat(get("requests?status=finished").statusCode()).isEqualTo(400);
        assertThat(get("requests?limit=0").statusCode()).isEqualTo(400);
        assertThat(get("usage/acme-e2e?from=yesterday").statusCode()).isEqualTo(400);
    }

    @Test
    void theListingFiltersByTenantAndStatusAndPagesWithACursor() throws Exception {
        for (String id : List.of("ls-c", "ls-a", "ls-b")) {
            send(id, "{\"id\":\"%s\",\"prompt\":\"Hi\",\"max_tokens\":2,\"tenant\":\"list-e2e\"}".formatted(id));
        }
        send("ls-other", "{\"id\":\"ls-other\",\"prompt\":\"Hi\",\"max_tokens\":2,\"tenant\":\"someone-else\"}");
        pollUntil("requests?tenant=list-e2e&status=done", page -> page.get("requests").size() == 3);

        JsonNode first = json(get("requests?tenant=list-e2e&status=done&limit=2"));
        assertThat(ids(first)).containsExactly("ls-a", "ls-b");
        String cursor = first.get("next_cursor").asText();
        assertThat(cursor).isEqualTo("ls-b");
        JsonNode second = json(get("requests?tenant=list-e2e&status=done&limit=2&cursor=" + cursor));
        assertThat(ids(second)).containsExactly("ls-c");
        assertThat(second.get("next_cursor").isNull()).isTrue();
        assertThat(ids(json(get("requests?tenant=list-e2e&status=queued")))).isEmpty();
    }

    private JsonNode completion(String id) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return readTopic(props, Topics.COMPLETIONS, (key, value) -> key.equals(id));
    }

    private JsonNode awaitUsageRecord(String tenant, long windowStart) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return readTopic(props, StatusTopology.USAGE_TOPIC,
                (key, value) -> key.equals(tenant) && value.get("window_start").asLong() == windowStart);
    }

    private JsonNode readTopic(Map<String, Object> props, String topic,
            java.util.function.BiPredicate<String, JsonNode> match) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode value = JSON.readTree(record.value());
                    if (match.test(record.key(), value)) {
                        return value;
                    }
                }
            }
            throw new AssertionError("no matching record on " + topic + " within " + WAIT);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private JsonNode pollUntil(String path, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = get(path);
            if (last.statusCode() == 200) {
                JsonNode body = json(last);
                if (done.test(body)) {
                    return body;
                }
            }
            Thread.sleep(25);
        }
        throw new AssertionError(path + " did not get there within " + WAIT + "; last answer: "
                + (last == null ? "none" : last.statusCode() + " " + last.body()));
    }

    private void awaitStatus(String path, Predicate<HttpResponse<String>> ok) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = get(path);
            if (ok.test(last)) {
                return;
            }
            if (last.body().contains("stopped")) {
                break;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(path + ": last answer " + last.statusCode() + " " + last.body());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("requests").forEach(r -> ids.add(r.get("id").asText()));
        return ids;
    }

    private void send(String key, String json) throws Exception {
        producer.send(new ProducerRecord<>(Topics.PROMPTS, key, json.getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
    }
}
