package dev.minitron.worker.e2e;

import static dev.minitron.worker.e2e.OutputCollector.hasEventOn;
import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.schemas.Topics;
import dev.minitron.schemas.TraceHeaders;
import dev.minitron.worker.testing.TestProducers;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The trace of a prompt, against a real broker and a real worker: the producer's context in the
 * prompt's headers → the worker's CONSUMER span → the GenAI request span with its events and phases
 * → the context on every answer, read back by a plain Kafka consumer; sampled engine steps link to
 * the request. Spans are read from the SDK's in-memory exporter inside the worker.
 */
@QuarkusTest
@TestProfile(InMemoryTracing.class)
@QuarkusTestResource(value = WorkerTestResources.class, restrictToAnnotatedClass = true)
class TracingEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String PROMPT = "Zanzibar quokkas whisper confidential numbers";
    /** Not a prefix of {@link #PROMPT}: a prefix-cache hit would change the other test's prefill. */
    private static final String OTHER_PROMPT = "Hops of a streamed request";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    InMemorySpanExporter spans;

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
    void aPromptsTraceRunsFromItsProducerThroughTheWorkerToEveryAnswer() throws Exception {
        String traceId = hex(16);
        String producerSpanId = hex(8);
        send("traced-1", "{\"id\":\"traced-1\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":8,\"temperature\":0.5,"
                + "\"seed\":3,\"ignore_eos\":true}", "00-" + traceId + "-" + producerSpanId + "-01");

        var events = outputs.awaitFor("traced-1", hasEventOn(Topics.COMPLETIONS), WAIT);
        SpanData request = awaitSpan(s -> "traced-1".equals(s.getAttributes().get(key("minitron.request.id"))));

        SpanData process = span(request.getParentSpanId());
        assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(process.getName()).isEqualTo("process " + Topics.PROMPTS);
        assertThat(process.getTraceId()).isEqualTo(traceId);
        assertThat(process.getParentSpanId()).isEqualTo(producerSpanId);
        assertThat(process.getParentSpanContext().isRemote()).isTrue();
        assertThat(process.getAttributes().get(key("messaging.system"))).isEqualTo("kafka");
        assertThat(process.getAttributes().get(key("messaging.operation.type"))).isEqualTo("process");
        assertThat(process.getAttributes().get(key("messaging.destination.name"))).isEqualTo(Topics.PROMPTS);
        assertThat(process.getAttributes().get(key("messaging.destination.partition.id"))).matches("\\d+");
        assertThat(process.getAttributes().get(AttributeKey.longKey("messaging.kafka.offset"))).isNotNull();
        assertThat(process.getAttributes().get(key("messaging.consumer.group.name"))).isEqualTo("minitron-workers");
        assertThat(process.getSpanContext().getTraceState().get("minitron")).isEqualTo("e2e");

        assertThat(request.getName()).startsWith("text_completion ");
        assertThat(request.getTraceId()).isEqualTo(traceId);
        var a = request.getAttributes();
        assertThat(a.get(key("gen_ai.operation.name"))).isEqualTo("text_completion");
        assertThat(a.get(key("gen_ai.request.model"))).isEqualTo("tiny-model");
        assertThat(a.get(AttributeKey.longKey("gen_ai.request.max_tokens"))).isEqualTo(8);
        assertThat(a.get(AttributeKey.doubleKey("gen_ai.request.temperature"))).isEqualTo(0.5);
        assertThat(a.get(AttributeKey.longKey("gen_ai.request.seed"))).isEqualTo(3);
        assertThat(a.get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isPositive();
        assertThat(a.get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(8);
        assertThat(a.get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons"))).containsExactly("length");
        assertThat(request.getEvents()).extracting(EventData::getName)
                .containsSubsequence("queued", "scheduled", "first_token", "finished");
        assertThat(request.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        List<SpanData> phases = children(request);
        assertThat(phases).extracting(SpanData::getName).containsExactlyInAnyOrder("queue", "prefill", "decode", "publish");
        for (SpanData phase : phases) {
            assertThat(phase.getStartEpochNanos()).isGreaterThanOrEqualTo(request.getStartEpochNanos());
            assertThat(phase.getEndEpochNanos()).isLessThanOrEqualTo(request.getEndEpochNanos());
        }

        String answerParent = "00-" + traceId + "-" + request.getSpanId() + "-01";
        assertThat(events).extracting(OutputCollector.Event::topic).contains(Topics.TOKENS, Topics.COMPLETIONS);
        assertThat(events).allSatisfy(e -> assertThat(e.traceparent()).as(e.topic()).isEqualTo(answerParent));

        // one prefill step and seven decodes, every step sampled here (the last one is reported just after the
        // request's completion was sent, so it may trail the request span)
        List<SpanData> steps = awaitSteps(request, 8);
        assertThat(steps).hasSize(8);
        assertThat(steps).allSatisfy(s -> assertThat(s.getParentSpanContext().isValid()).isFalse());
        assertThat(steps.stream().mapToLong(s -> s.getAttributes().get(AttributeKey.longKey("minitron.step.prefill_tokens"))).sum())
                .isEqualTo(a.get(AttributeKey.longKey("gen_ai.usage.input_tokens")));

        assertNoSpanMentions(PROMPT);
        assertNoSpanMentions(events.stream().filter(e -> e.topic().equals(Topics.COMPLETIONS)).findFirst().orElseThrow()
                .value().get("text").asText().strip());
    }

    @Test
    void aRejectedRecordsErrorEventContinuesTheProducersTrace() throws Exception {
        String traceId = hex(16);
        String producerSpanId = hex(8);
        send("traced-bad", "{\"id\":\"traced-bad\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":\"many\"}",
                "00-" + traceId + "-" + producerSpanId + "-01");

        var events = outputs.awaitFor("traced-bad", hasEventOn(Topics.ERRORS), WAIT);
        SpanData process = awaitSpan(s -> s.getKind() == SpanKind.CONSUMER && s.getTraceId().equals(traceId));

        assertThat(process.getParentSpanId()).isEqualTo(producerSpanId);
        assertThat(process.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(process.getAttributes().get(key("error.type"))).isNotBlank();
        assertThat(events).singleElement().extracting(OutputCollector.Event::traceparent)
                .isEqualTo("00-" + traceId + "-" + process.getSpanId() + "-01");
        assertNoSpanMentions(PROMPT);
    }

    /**
     * The flight-recorder event that the benchmark's hop-by-hop time to first token is built from:
     * one per streamed request, its stamps in the order the request went, none for a request that
     * does not stream.
     */
    @Test
    void aStreamedRequestRecordsItsFirstTokenHopsInOrder() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("hops-", ".jfr");
        long before = dev.minitron.worker.tracing.FirstTokenHops.nowMicros();
        try (var recording = new jdk.jfr.Recording()) {
            recording.enable("minitron.FirstTokenHops");
            recording.start();
            send("hops-1", "{\"id\":\"hops-1\",\"prompt\":\"" + OTHER_PROMPT + "\",\"max_tokens\":4,\"stream\":true}",
                    "00-" + hex(16) + "-" + hex(8) + "-01");
            send("hops-2", "{\"id\":\"hops-2\",\"prompt\":\"" + OTHER_PROMPT + "\",\"max_tokens\":4,\"stream\":false}",
                    "00-" + hex(16) + "-" + hex(8) + "-01");
            outputs.awaitFor("hops-1", hasEventOn(Topics.COMPLETIONS), WAIT);
            outputs.awaitFor("hops-2", hasEventOn(Topics.COMPLETIONS), WAIT);
            recording.stop();
            recording.dump(file);
        }
        var events = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("minitron.FirstTokenHops")).toList();
        java.nio.file.Files.deleteIfExists(file);

        assertThat(events).extracting(e -> e.getString("id")).containsExactly("hops-1");
        var e = events.getFirst();
        long[] stamps = {before, e.getLong("polled"), e.getLong("admitted"), e.getLong("handedToEngine"),
                e.getLong("firstToken"), e.getLong("sent"), e.getLong("acked"),
                dev.minitron.worker.tracing.FirstTokenHops.nowMicros()};
        for (int i = 1; i < stamps.length; i++) {
            assertThat(stamps[i]).as("stamp %d", i).isGreaterThanOrEqualTo(stamps[i - 1]);
        }
    }

    private void send(String id, String json, String traceparent) throws Exception {
        var record = new ProducerRecord<String, byte[]>(Topics.PROMPTS, id, json.getBytes(StandardCharsets.UTF_8));
        record.headers().add(TraceHeaders.TRACEPARENT, traceparent.getBytes(StandardCharsets.UTF_8));
        record.headers().add(TraceHeaders.TRACESTATE, "minitron=e2e".getBytes(StandardCharsets.UTF_8));
        producer.send(record).get(10, TimeUnit.SECONDS);
    }

    private SpanData awaitSpan(Predicate<SpanData> which) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            var found = spans.getFinishedSpanItems().stream().filter(which).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no such span among " + spans.getFinishedSpanItems().size());
    }

    private List<SpanData> awaitSteps(SpanData request, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<SpanData> steps;
        do {
            steps = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("engine.step"))
                    .filter(s -> s.getLinks().stream().anyMatch(l -> l.getSpanContext().equals(request.getSpanContext())))
                    .toList();
            if (steps.size() >= expected) {
                break;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return steps;
    }

    private SpanData span(String spanId) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getSpanId().equals(spanId)).findFirst()
                .orElseThrow(() -> new AssertionError("no span " + spanId));
    }

    private List<SpanData> children(SpanData parent) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getParentSpanId().equals(parent.getSpanId())).toList();
    }

    /** No attribute or event attribute of any span holds this text (or a sizeable piece of it). */
    private void assertNoSpanMentions(String text) {
        String needle = text.length() > 12 ? text.substring(0, 12) : text;
        if (needle.isBlank()) {
            return;
        }
        for (SpanData s : spans.getFinishedSpanItems()) {
            assertThat(s.getName()).doesNotContain(needle);
            s.getAttributes().forEach((k, v) -> assertThat(String.valueOf(v)).as(s.getName() + " " + k).doesNotContain(needle));
            for (EventData e : s.getEvents()) {
                e.getAttributes().forEach((k, v) -> assertThat(String.valueOf(v)).as(s.getName() + " " + k).doesNotContain(needle));
            }
        }
    }

    private static AttributeKey<String> key(String name) {
        return AttributeKey.stringKey(name);
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1;   // never all zeros (an invalid id)
        return HexFormat.of().formatHex(b);
    }
}
