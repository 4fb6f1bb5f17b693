package dev.minitron.worker.status;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.TokenEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.kafka.JsonSerde;
import dev.minitron.schemas.kafka.MinitronSerdes;
import org.jboss.logging.Logger;

/**
 * Reads the input topics' raw values into {@link StatusUpdate}s. Never throws: a value the view
 * cannot read becomes null and is skipped (a prompt still counts as seen, since the worker
 * answers even an unreadable prompt with an error event). Logs say which topic, never the value
 * or a parser message that could quote it.
 */
final class StatusUpdates {

    private static final Logger LOG = Logger.getLogger(StatusUpdates.class);
    /** The wire's limits (nesting, name and number lengths) without its data binding. */
    private static final JsonFactory TOKEN_PARSERS = WireJson.reader().getFactory();
    private static final JsonSerde<CompletionEvent> COMPLETIONS = MinitronSerdes.completions();
    private static final JsonSerde<ErrorEvent> ERRORS = MinitronSerdes.errors();

    private StatusUpdates() {}

    /** Lenient on purpose: only the tenant is read, and a prompt that is not JSON has none. */
    static StatusUpdate prompt(byte[] value) {
        String tenant = null;
        if (value != null) {
            try {
                JsonNode tree = WireJson.reader().readTree(value);
                JsonNode t = tree == null ? null : tree.get("tenant");
                if (t != null && t.isTextual() && !t.asText().isEmpty()) {
                    tenant = t.asText();
                }
            } catch (Exception e) {
                // an invalid prompt: its error event will say why
            }
        }
        return StatusUpdate.prompt(tenant);
    }

    /**
     * A token event's attempt and token count, read with a streaming parser that skips every other
     * field: the view reads every token event of the fleet, and binding each to a {@link TokenEvent}
     * (its text, its logprobs) cost more than the rest of the view together (docs/benchmarks/kafka.md).
     * A value that is not an object with an integer {@code attempt} ≥ 1 and a {@code token_ids} array
     * of integers is unreadable and skipped, as before.
     */
    static StatusUpdate tokens(String topic, byte[] value) {
        if (value == null) {
            return null;
        }
        int attempt = 0;
        int count = -1;
        try (JsonParser p = TOKEN_PARSERS.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return unreadable(topic, "not an object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("attempt".equals(field) && t == JsonToken.VALUE_NUMBER_INT) {
                    attempt = p.getIntValue();
                } else if ("token_ids".equals(field) && t == JsonToken.START_ARRAY) {
                    count = 0;
                    while ((t = p.nextToken()) == JsonToken.VALUE_NUMBER_INT) {
                        count++;
                    }
                    if (t != JsonToken.END_ARRAY) {
                        return unreadable(topic, "token_ids");
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return unreadable(topic, e.getClass().getSimpleName());
        }
        if (attempt < 1 || count < 0) {
            return unreadable(topic, attempt < 1 ? "attempt" : "token_ids");
        }
        return StatusUpdate.tokens(attempt, count);
    }

    private static StatusUpdate unreadable(String topic, String why) {
        LOG.warnf("status view skips an unreadable record on %s (%s)", topic, why);
        return null;
    }

    static StatusUpdate completion(String topic, byte[] value) {
        CompletionEvent c = read(COMPLETIONS, topic, value);
        if (c == null) {
            return null;
        }
        return StatusUpdate.completion(c.attempt(), c.finishReason().wireName(), c.usage().promptTokens(),
                c.usage().completionTokens(), c.worker(), c.model(),
                c.error() == null ? null : c.error().code().wireName(),
                c.error() == null ? null : c.error().message());
    }

    static StatusUpdate error(String topic, byte[] value) {
        ErrorEvent e = read(ERRORS, topic, value);
        return e == null ? null : StatusUpdate.error(e.code().wireName(), e.message(), e.worker());
    }

    private static <T> T read(JsonSerde<T> serde, String topic, byte[] value) {
        if (value == null) {
            return null;   // a tombstone (compaction) says nothing about status
        }
        try {
            return serde.deserialize(topic, value);
        } catch (RuntimeException e) {
            // the reason's class only: a parser's message can quote the value (generated text)
            Throwable reason = e.getCause() != null ? e.getCause() : e;
            LOG.warnf("status view skips an unreadable record on %s (%s)", topic, reason.getClass().getSimpleName());
            return null;
        }
    }
}
