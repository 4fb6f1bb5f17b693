package dev.minitron.worker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * What an error event must say about the prompt record it answers (docs/wire-protocol.md): the source
 * topic, a code and a message, an id field, and up to 1 KiB of the record's value as a faithful prefix,
 * as text when the value is UTF-8 and as base64 otherwise, flagged when cut.
 */
final class ErrorEventRules {

    static final int MAX_RAW_BYTES = 1024;

    private ErrorEventRules() {
    }

    static List<String> check(AnswerChecker.Prompt p, AnswerChecker.Event error, String promptsTopic, String described) {
        List<String> breaches = new ArrayList<>();
        JsonNode v = error.value();
        String where = described + " error event";
        if (!promptsTopic.equals(v.path("source").path("topic").asText())) {
            breaches.add(where + ": source topic " + v.path("source"));
        }
        if (v.path("code").asText().isEmpty() || v.path("message").asText().isEmpty()) {
            breaches.add(where + ": no code or message: " + v);
        }
        if (!v.has("id")) {
            breaches.add(where + ": no id field");
        }
        if (p.value() == null) {
            if (v.has("raw_value")) {
                breaches.add(where + ": raw_value for a tombstone");
            }
            return breaches;
        }
        if (!v.hasNonNull("raw_value")) {
            breaches.add(where + ": no raw_value");
            return breaches;
        }
        String encoding = v.path("raw_value_encoding").asText();
        byte[] raw = switch (encoding) {
            case "utf-8" -> v.get("raw_value").asText().getBytes(StandardCharsets.UTF_8);
            case "base64" -> Base64.getDecoder().decode(v.get("raw_value").asText());
            default -> null;
        };
        if (raw == null) {
            breaches.add(where + ": raw_value_encoding " + AnswerChecker.quote(encoding));
            return breaches;
        }
        if (encoding.equals("base64") && AnswerChecker.utf8(p.value()) != null) {
            breaches.add(where + ": base64 for a UTF-8 value");
        }
        if (raw.length > MAX_RAW_BYTES || raw.length > p.value().length
                || !Arrays.equals(raw, 0, raw.length, p.value(), 0, raw.length)) {
            breaches.add(where + ": raw_value is not a prefix of at most " + MAX_RAW_BYTES + " bytes of the record");
        }
        boolean truncated = raw.length < p.value().length;
        if (v.path("raw_value_truncated").asBoolean() != truncated) {
            breaches.add(where + ": raw_value_truncated " + v.path("raw_value_truncated") + ", value " + p.value().length
                    + " bytes, raw " + raw.length);
        }
        return breaches;
    }
}
