package dev.minitron.worker.e2e;

import static dev.minitron.worker.e2e.OutputCollector.hasEventOn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.kafka.AttemptJournal;
import dev.minitron.worker.kafka.CancelRegistry;
import dev.minitron.worker.testing.TestProducers;
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
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
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
    CancelRegistry cancels;

    @Inject
    EngineHolder engine;

    @TestHTTPResource("/q/health/ready")
    URI ready;

    @TestHTTPResource("/q/health/live")
    URI live;

    @TestHTTPResource("/q/metrics")
    URI metrics;

    private KafkaProducer<String, byte[]> producer;
    private OutputCollector outputs;

    @BeforeEach
    void connect() {
        producer = TestProducers.rawValues(bootstrap);
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

        var events = outputs.awaitFor("e2e-one", OutputCollector.hasCompletionAndItsStream(), WAIT);

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
        // One partition, sent together: the worker reads both in one poll and starts them together.
        var sentA = producer.send(new ProducerRecord<>(Topics.PROMPTS, 0, "pair-a", a.formatted("pair-a").getBytes(StandardCharsets.UTF_8)));
        var sentB = producer.send(new ProducerRecord<>(Topics.PROMPTS, 0, "pair-b", b.formatted("pair-b").getBytes(StandardCharsets.UTF_8)));
        sentA.get(10, TimeUnit.SECONDS);
        sentB.get(10, TimeUnit.SECONDS);
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

    /** The path and port the Helm chart's ServiceMonitor scrapes. */
    @Test
    void metricsEndpointServesPrometheusText() throws Exception {
        var response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(metrics).header("Accept", "text/plain").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(response.body()).contains("# TYPE jvm_memory_used_bytes gauge");
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
        // "First": the worker has read the cancel before the prompt comes. A fixed sleep raced the cancel
        // reader, and lost once the synthetic warm-up made the engine fast enough to run ten steps first.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!cancels.contains("cancel-early", System.currentTimeMillis()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(cancels.contains("cancel-early", System.currentTimeMillis())).as("the cancel was read").isTrue();
        send("cancel-early", "{\"id\":\"cancel-early\",\"prompt\":\"Never mind\",\"max_tokens\":200,\"ignore_eos\":true}");
        JsonNode c = completion("cancel-early");
        assertThat(c.get("finish_reason").asText()).isEqualTo("cancelled");
        assertThat(c.get("usage").get("completion_tokens").asInt()).isLessThanOrEqualTo(1);
    }

    @Test
    void aDeadlineAlreadyPastIsAnsweredTimeoutBeforePrefill() throws Exception {
        send("too-late", "{\"id\":\"too-late\",\"prompt\":\"Too late\",\"max_tokens\":50,"
                + "\"deadline\":\"2020-01-01T00:00:00Z\"}");
        JsonNode c = completion("too-late");
        assertThat(c.get("finish_reason").asText()).isEqualTo("timeout");
        assertThat(c.get("usage").get("completion_tokens").asInt()).isZero();
        assertThat(c.get("timing").get("ttft_ms").isNull()).isTrue();
    }

    @Test
    void aTimeoutPassingMidGenerationStopsItWithTheTextSoFar() throws Exception {
        // Four at once share each step, so 1000 tokens take far longer than the 500 ms budget.
        for (int i = 0; i < 4; i++) {
            send("mid-timeout-" + i, ("{\"id\":\"mid-timeout-%d\",\"prompt\":\"Run on %d\",\"max_tokens\":1000,"
                    + "\"ignore_eos\":true,\"timeout_ms\":500}").formatted(i, i));
        }
        for (int i = 0; i < 4; i++) {
            String id = "mid-timeout-" + i;
            JsonNode c = completion(id);
            assertThat(c.get("finish_reason").asText()).as(id + ": " + c).isEqualTo("timeout");
            int tokens = c.get("usage").get("completion_tokens").asInt();
            assertThat(tokens).as(id).isBetween(1, 999);
            // The last token events may arrive after the completion (another topic): wait for them.
            String text = c.get("text").asText();
            outputs.awaitFor(id, events -> on(events, Topics.TOKENS).stream().map(t -> t.get("text").asText())
                    .reduce("", String::concat).equals(text), WAIT);
        }
    }

    @Test
    void aDuplicateIdWhileTheFirstIsGeneratingIsRefusedAndNotGenerated() throws Exception {
        send("dup-live", "{\"id\":\"dup-live\",\"prompt\":\"First\",\"max_tokens\":400,\"ignore_eos\":true}");
        outputs.awaitFor("dup-live", hasEventOn(Topics.TOKENS), WAIT);
        RecordMetadata second = send("dup-live", "{\"id\":\"dup-live\",\"prompt\":\"Second\",\"max_tokens\":4}");
        var events = outputs.awaitFor("dup-live", hasEventOn(Topics.ERRORS).and(hasEventOn(Topics.COMPLETIONS)), WAIT);
        JsonNode error = on(events, Topics.ERRORS).getFirst();
        assertThat(error.get("code").asText()).isEqualTo("duplicate_id");
        assertThat(error.get("source").get("offset").asLong()).isEqualTo(second.offset());
        settle();
        List<JsonNode> completions = on(outputs.eventsFor("dup-live"), Topics.COMPLETIONS);
        assertThat(completions).hasSize(1);
        assertThat(completions.getFirst().get("usage").get("completion_tokens").asInt()).isEqualTo(400);
        assertThat(on(outputs.eventsFor("dup-live"), Topics.ERRORS)).hasSize(1);
    }

    @Test
    void anIdAnsweredRecentlyIsNotGeneratedAgain() throws Exception {
        String prompt = "{\"id\":\"dup-done\",\"prompt\":\"Once\",\"max_tokens\":4}";
        RecordMetadata once = send("dup-done", prompt);
        JsonNode first = completion("dup-done");
        // The worker remembers the answer when the broker acknowledges it; its commit follows that.
        awaitCommittedPast(new TopicPartition(once.topic(), once.partition()), once.offset());
        RecordMetadata again = send("dup-done", prompt);
        JsonNode error = on(outputs.awaitFor("dup-done", hasEventOn(Topics.ERRORS), WAIT), Topics.ERRORS).getFirst();
        assertThat(error.get("code").asText()).isEqualTo("duplicate_id");
        assertThat(error.get("message").asText()).contains("was answered").contains("attempt " + first.get("attempt").asInt());
        assertThat(error.get("source").get("offset").asLong()).isEqualTo(again.offset());
        settle();
        assertThat(on(outputs.eventsFor("dup-done"), Topics.COMPLETIONS)).hasSize(1);
    }

    @Test
    void aRecordWhoseKeyIsNotItsIdIsRefused() throws Exception {
        send("some-other-key", "{\"id\":\"key-mismatch\",\"prompt\":\"x\",\"max_tokens\":2}");
        producer.send(new ProducerRecord<>(Topics.PROMPTS, null,
                "{\"id\":\"no-key\",\"prompt\":\"x\",\"max_tokens\":2}".getBytes(StandardCharsets.UTF_8))).get();
        for (String id : List.of("key-mismatch", "no-key")) {
            JsonNode error = on(outputs.awaitFor(id, hasEventOn(Topics.ERRORS), WAIT), Topics.ERRORS).getFirst();
            assertThat(error.get("code").asText()).as(id).isEqualTo("invalid_request");
            assertThat(error.get("message").asText()).as(id).contains("key");
        }
        send("after-keys", "{\"id\":\"after-keys\",\"prompt\":\"Hello\",\"max_tokens\":2}");
        assertThat(completion("after-keys").get("finish_reason").asText()).isIn("stop", "length");
    }

    /**
     * A second group member plays a worker that took two prompts and died: it journals one as
     * started (attempt 1) and one as answered, then leaves without answering. The real worker takes
     * the partition back, runs the first as attempt 2 and only commits the second.
     */
    @Test
    void aRedeliveredPromptCarriesTheNextAttemptAndAnAnsweredOneIsNotRedone() throws Exception {
        RecordMetadata started;
        RecordMetadata answered;
        TopicPartition tp;
        try (KafkaConsumer<byte[], byte[]> other = groupMember()) {
            other.subscribe(List.of(Topics.PROMPTS));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (other.assignment().isEmpty()) {
                assertThat(System.nanoTime()).as("the second member gets partitions").isLessThan(deadline);
                other.poll(Duration.ofMillis(100));
            }
            tp = other.assignment().iterator().next();
            started = sendTo(tp.partition(), "redelivered",
                    "{\"id\":\"redelivered\",\"prompt\":\"Again\",\"max_tokens\":8,\"temperature\":0,\"ignore_eos\":true}");
            answered = sendTo(tp.partition(), "already-answered",
                    "{\"id\":\"already-answered\",\"prompt\":\"Done\",\"max_tokens\":8}");
            boolean seen = false;
            while (!seen) {
                assertThat(System.nanoTime()).as("the second member reads the prompts").isLessThan(deadline);
                for (var r : other.poll(Duration.ofMillis(100))) {
                    seen |= r.partition() == tp.partition() && r.offset() == answered.offset();
                }
            }
            var journal = List.of(new AttemptJournal.Run(started.offset(), started.offset() + 1, 1, false),
                    new AttemptJournal.Run(answered.offset(), answered.offset() + 1, 1, true));
            other.commitSync(Map.of(tp, new OffsetAndMetadata(started.offset(),
                    AttemptJournal.encode(started.offset(), journal, AttemptJournal.DEFAULT_MAX_CHARS))));
        }

        JsonNode c = completion("redelivered");
        assertThat(c.get("attempt").asInt()).isEqualTo(2);
        assertThat(c.get("usage").get("completion_tokens").asInt()).isEqualTo(8);
        assertThat(on(outputs.eventsFor("redelivered"), Topics.TOKENS)).allSatisfy(t ->
                assertThat(t.get("attempt").asInt()).isEqualTo(2));
        assertThat(committedOffset(tp)).isGreaterThan(answered.offset());
        settle();
        assertThat(outputs.eventsFor("already-answered")).isEmpty();
    }

    private KafkaConsumer<byte[], byte[]> groupMember() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "minitron-workers");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // With "latest" a partition the group never committed would be positioned lazily, at the first
        // poll after the prompts below were sent, and the member would never see them.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    /** Waits (up to {@code WAIT}) until the workers' group has committed up to the partition's end; returns the offset. */
    private long committedOffset(TopicPartition tp) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            long committed = -1;
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
            while (committed < end && System.nanoTime() < deadline) {
                var offsets = admin.listConsumerGroupOffsets("minitron-workers").partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                committed = offsets.get(tp) == null ? -1 : offsets.get(tp).offset();
                Thread.sleep(100);
            }
            return committed;
        }
    }

    private void awaitCommittedPast(TopicPartition tp, long offset) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            long committed = -1;
            while (committed <= offset) {
                assertThat(System.nanoTime()).as("committed past " + offset).isLessThan(deadline);
                var offsets = admin.listConsumerGroupOffsets("minitron-workers").partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS);
                committed = offsets.get(tp) == null ? -1 : offsets.get(tp).offset();
                Thread.sleep(50);
            }
        }
    }

    /** Reads on for a while, so an answer that should not come has had the time to. */
    private void settle() {
        try {
            outputs.awaitFor("\u0000never", list -> false, Duration.ofMillis(1500));
        } catch (AssertionError expected) {
            // the point was to read for a while
        }
    }

    private RecordMetadata sendTo(int partition, String key, String json) throws Exception {
        return producer.send(new ProducerRecord<>(Topics.PROMPTS, partition, key, json.getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
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
