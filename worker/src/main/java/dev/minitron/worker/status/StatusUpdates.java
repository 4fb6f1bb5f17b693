package dev.minitron.worker.status;

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
    private static final JsonSerde<TokenEvent> TOKENS = MinitronSerdes.tokens();
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

    static StatusUpdate tokens(String topic, byte[] value) {
        TokenEvent event = read(TOKENS, topic, value);
        return event == null ? null : StatusUpdate.tokens(event.attempt(), event.tokenIds().size());
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
