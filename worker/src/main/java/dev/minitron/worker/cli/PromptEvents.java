package dev.minitron.worker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Prompt events as JSON trees ({@code id}, {@code prompt}, {@code max_tokens}, ...), and the
 * Kafka records that carry them: keyed by id (trace headers come from {@link CliTracing}).
 */
final class PromptEvents {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The sampling options a command line may set; each fills the field only where an event lacks it. */
    record Defaults(Optional<String> id, Optional<Integer> maxTokens, Optional<Double> temperature,
                    Optional<Long> seed) {

        static Defaults from(Args args) throws UsageException {
            var maxTokens = args.integer("--max-tokens");
            if (maxTokens.isPresent() && maxTokens.get() < 1) {
                throw new UsageException("--max-tokens must be at least 1");
            }
            var temperature = args.decimal("--temperature");
            if (temperature.isPresent() && (temperature.get() < 0 || temperature.get().isNaN())) {
                throw new UsageException("--temperature must be 0 or more");
            }
            var id = args.get("--id");
            if (id.isPresent() && id.get().isBlank()) {
                throw new UsageException("--id must not be empty");
            }
            return new Defaults(id, maxTokens, temperature, args.longInteger("--seed"));
        }
    }

    private PromptEvents() {}

    static ObjectNode ofPrompt(String prompt, Defaults defaults) {
        ObjectNode event = JSON.createObjectNode();
        event.put("prompt", prompt);
        return complete(event, defaults);
    }

    static ObjectNode ofJson(String json, Defaults defaults) throws UsageException {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UsageException("not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode event)) {
            throw new UsageException("a prompt event must be a JSON object");
        }
        if (event.hasNonNull("id") && defaults.id().isPresent()
                && !event.get("id").asText().equals(defaults.id().get())) {
            throw new UsageException("--id " + defaults.id().get() + " differs from the event's id "
                    + event.get("id").asText());
        }
        return complete(event, defaults);
    }

    /** Puts an id (a random UUID where none is given) first, then the defaults the event lacks. */
    private static ObjectNode complete(ObjectNode event, Defaults defaults) {
        String id = event.hasNonNull("id") ? event.get("id").asText()
                : defaults.id().orElseGet(() -> UUID.randomUUID().toString());
        ObjectNode ordered = JSON.createObjectNode().put("id", id);
        event.properties().forEach(e -> {
            if (!e.getKey().equals("id")) {
                ordered.set(e.getKey(), e.getValue());
            }
        });
        defaults.maxTokens().ifPresent(v -> ordered.putIfAbsent("max_tokens", ordered.numberNode(v)));
        defaults.temperature().ifPresent(v -> ordered.putIfAbsent("temperature", ordered.numberNode(v)));
        defaults.seed().ifPresent(v -> ordered.putIfAbsent("seed", ordered.numberNode(v)));
        return ordered;
    }

    /** The record of an event, without trace headers ({@link CliTracing#onSend} adds them). */
    static ProducerRecord<String, String> record(String topic, ObjectNode event) {
        return new ProducerRecord<>(topic, event.get("id").asText(), event.toString());
    }

    /** A new W3C trace context: version 00, random trace and span ids, sampled. */
    static String newTraceparent() {
        var random = ThreadLocalRandom.current();
        var hex = HexFormat.of();
        byte[] traceId = new byte[16];
        byte[] spanId = new byte[8];
        random.nextBytes(traceId);
        random.nextBytes(spanId);
        return "00-" + hex.formatHex(traceId) + "-" + hex.formatHex(spanId) + "-01";
    }
}
