package dev.minitron.schemas.decode;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.WireEvent;
import dev.minitron.schemas.json.WireJson;

/**
 * Finds the request id of a record that is not a valid prompt, so its error event can carry it.
 * Only an id that is itself valid counts: a string of 1 to 256 characters.
 */
final class IdRecovery {
    /** An id sits near the start of a record; a record too large is scanned no further. */
    private static final int SCAN_LIMIT_BYTES = 64 * 1024;

    private IdRecovery() {}

    static String fromTree(JsonNode tree) {
        JsonNode id = tree.isObject() ? tree.get("id") : null;
        return id != null && id.isTextual() && valid(id.textValue()) ? id.textValue() : null;
    }

    /**
     * Streams the top-level object up to its {@code id} field. Bytes after it may be broken
     * (truncated, not UTF-8, not JSON): the id is still recovered.
     */
    static String fromBytes(byte[] value) {
        if (value == null) {
            return null;
        }
        try (JsonParser parser =
                WireJson.reader().createParser(value, 0, Math.min(value.length, SCAN_LIMIT_BYTES))) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                if ("id".equals(name)) {
                    return token == JsonToken.VALUE_STRING && valid(parser.getText()) ? parser.getText() : null;
                }
                parser.skipChildren();
            }
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    private static boolean valid(String id) {
        int length = id.codePointCount(0, id.length());
        return length >= 1 && length <= WireEvent.MAX_ID_LENGTH && Unicode.unpairedSurrogate(id) < 0;
    }
}
