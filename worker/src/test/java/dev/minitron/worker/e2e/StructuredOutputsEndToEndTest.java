package dev.minitron.worker.e2e;

import static dev.minitron.worker.e2e.OutputCollector.hasEventOn;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.testing.TestProducers;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Structured outputs through Kafka: prompt records with OpenAI's {@code response_format} and
 * vLLM's {@code structured_outputs} against a real broker and the tiny random-weight model, whose
 * answers parse only because the grammar forces them to; a schema or regex the worker cannot
 * constrain is answered with an error event and the worker goes on serving.
 */
@QuarkusTest
@QuarkusTestResource(value = WorkerTestResources.class, restrictToAnnotatedClass = true)
class StructuredOutputsEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final String SCHEMA = """
            {"type":"object","properties":{"category":{"enum":["billing","technical","other"]},
             "urgency":{"type":"integer","minimum":1,"maximum":5},"summary":{"type":"string","maxLength":6}},
             "required":["category","urgency","summary"],"additionalProperties":false}""";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

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
    void responseFormatJsonSchemaGivesACompletionThatParsesAndValidates() throws Exception {
        var validator = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(STRICT.readTree(SCHEMA));
        for (int seed = 0; seed < 3; seed++) {
            String id = "so-json-" + seed;
            send(id, """
                    {"id":"%s","prompt":"Classify the ticket:","max_tokens":64,"temperature":1,"seed":%d,
                     "response_format":{"type":"json_schema","json_schema":{"name":"triage","strict":true,"schema":%s}}}"""
                    .formatted(id, seed, SCHEMA));
            JsonNode completion = completion(id);
            assertThat(completion.get("finish_reason").asText()).isEqualTo("stop");
            assertThat(completion.has("incomplete")).isFalse();
            JsonNode answer = STRICT.readTree(completion.get("text").asText());
            assertThat(validator.validate(answer)).isEmpty();
        }
    }

    @Test
    void structuredOutputsChoiceAndJsonObjectAreHonoured() throws Exception {
        send("so-choice", """
                {"id":"so-choice","prompt":"Sentiment:","max_tokens":16,
                 "structured_outputs":{"choice":["positive","neutral","negative"]}}""");
        send("so-object", """
                {"id":"so-object","prompt":"JSON:","max_tokens":96,"seed":3,"response_format":{"type":"json_object"}}""");
        assertThat(completion("so-choice").get("text").asText()).isIn("positive", "neutral", "negative");
        JsonNode object = completion("so-object");
        if (object.get("finish_reason").asText().equals("stop")) {
            // a free-form object may repeat a key (RFC 8259 allows it), so not the strict reader here
            assertThat(new ObjectMapper().readTree(object.get("text").asText()).isObject()).isTrue();
        } else {
            assertThat(object.get("incomplete").asBoolean()).isTrue();
        }
    }

    @Test
    void anUnsupportedSchemaOrABadRegexIsAnErrorEventAndTheWorkerKeepsServing() throws Exception {
        send("so-unsupported", """
                {"id":"so-unsupported","prompt":"Tags:","response_format":{"type":"json_schema","json_schema":
                 {"name":"tags","schema":{"type":"array","items":{"type":"string"},"uniqueItems":true}}}}""");
        send("so-bad-regex", """
                {"id":"so-bad-regex","prompt":"Code:","structured_outputs":{"regex":"[A-Z]{2}(-[0-9]+"}}""");
        JsonNode unsupported = error("so-unsupported");
        assertThat(unsupported.get("code").asText()).isEqualTo("unsupported_schema");
        assertThat(unsupported.get("message").asText()).contains("uniqueItems");
        JsonNode badRegex = error("so-bad-regex");
        assertThat(badRegex.get("code").asText()).isEqualTo("invalid_request");
        assertThat(badRegex.get("message").asText()).contains("structured_outputs.regex").contains("position 8");

        send("so-after", """
                {"id":"so-after","prompt":"Code:","max_tokens":16,"structured_outputs":{"regex":"[A-Z]{2}-[0-9]{3}"}}""");
        JsonNode after = completion("so-after");
        assertThat(after.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(after.get("text").asText()).matches("[A-Z]{2}-[0-9]{3}");
    }

    private JsonNode completion(String id) {
        return outputs.awaitFor(id, hasEventOn(Topics.COMPLETIONS), WAIT).stream()
                .filter(e -> e.topic().equals(Topics.COMPLETIONS)).map(OutputCollector.Event::value).findFirst().orElseThrow();
    }

    private JsonNode error(String id) {
        return outputs.awaitFor(id, hasEventOn(Topics.ERRORS), WAIT).stream()
                .filter(e -> e.topic().equals(Topics.ERRORS)).map(OutputCollector.Event::value).findFirst().orElseThrow();
    }

    private void send(String key, String json) throws Exception {
        producer.send(new ProducerRecord<>(Topics.PROMPTS, key, json.getBytes(StandardCharsets.UTF_8)))
                .get(10, TimeUnit.SECONDS);
    }
}
