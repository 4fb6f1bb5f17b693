package dev.minitron.worker.e2e;

import static dev.minitron.worker.e2e.OutputCollector.hasEventOn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.testing.TestProducers;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** With {@code minitron.tracing.capture-content=true}, and only then, request spans hold the prompt and completion. */
@QuarkusTest
@TestProfile(InMemoryTracing.WithContent.class)
@QuarkusTestResource(value = WorkerTestResources.class, restrictToAnnotatedClass = true)
class ContentCaptureTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    InMemorySpanExporter spans;

    @Test
    void theRequestSpanCarriesThePromptAndCompletionAsGenAiMessages() throws Exception {
        JsonNode completion;
        try (var producer = TestProducers.rawValues(bootstrap);
             var outputs = new OutputCollector(bootstrap, List.of(Topics.COMPLETIONS))) {
            producer.send(new ProducerRecord<>(Topics.PROMPTS, "captured", ("{\"id\":\"captured\",\"prompt\":\"Hello capture\","
                    + "\"max_tokens\":4}").getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
            completion = outputs.awaitFor("captured", hasEventOn(Topics.COMPLETIONS), Duration.ofSeconds(60))
                    .getFirst().value();
        }
        SpanData request = awaitRequestSpan("captured");

        var json = new ObjectMapper();
        JsonNode input = json.readTree(request.getAttributes().get(AttributeKey.stringKey("gen_ai.input.messages")));
        JsonNode output = json.readTree(request.getAttributes().get(AttributeKey.stringKey("gen_ai.output.messages")));
        assertThat(input.get(0).get("role").asText()).isEqualTo("user");
        assertThat(input.get(0).get("parts").get(0).get("content").asText()).contains("Hello capture");
        assertThat(output.get(0).get("parts").get(0).get("content").asText()).isEqualTo(completion.get("text").asText());
        assertThat(output.get(0).get("finish_reason").asText()).isEqualTo(completion.get("finish_reason").asText());
    }

    private SpanData awaitRequestSpan(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            var found = spans.getFinishedSpanItems().stream()
                    .filter(s -> id.equals(s.getAttributes().get(AttributeKey.stringKey("minitron.request.id")))).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no request span for " + id);
    }
}
