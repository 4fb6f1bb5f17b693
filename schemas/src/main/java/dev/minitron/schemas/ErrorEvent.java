package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The terminal answer to a record on the prompts topic that cannot be served as a request. It
 * points at the record and carries the start of its value, so the producer can find its mistake.
 *
 * @param id the request id when the record held a valid one, else null (written as null)
 * @param rawValue the first {@value #RAW_VALUE_MAX_BYTES} bytes of the value, as text or
 *     base64 per {@code rawValueEncoding}; both null when the record had no value
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorEvent(
        @JsonProperty("id") @JsonInclude(JsonInclude.Include.ALWAYS) String id,
        @JsonProperty("source") SourceRef source,
        @JsonProperty("code") ErrorCode code,
        @JsonProperty("message") String message,
        @JsonProperty("raw_value") String rawValue,
        @JsonProperty("raw_value_encoding") RawValueEncoding rawValueEncoding,
        @JsonProperty("raw_value_truncated") boolean rawValueTruncated,
        @JsonProperty("worker") String worker,
        @JsonProperty("timestamp_ms") long timestampMs)
        implements WireEvent {

    public static final int RAW_VALUE_MAX_BYTES = 1024;

    public ErrorEvent {
        if (id != null) {
            Checks.requireId(id);
        }
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(worker, "worker");
        Checks.atLeast(0L, timestampMs, "timestamp_ms");
        if ((rawValue == null) != (rawValueEncoding == null)) {
            throw new IllegalArgumentException("raw_value and raw_value_encoding: both or neither");
        }
        if (rawValue == null && rawValueTruncated) {
            throw new IllegalArgumentException("raw_value_truncated: true without a raw_value");
        }
    }

    /**
     * The error event for a rejected record: keeps the first {@value #RAW_VALUE_MAX_BYTES} bytes
     * of {@code value} as text if they are UTF-8 (cut at a character boundary), else as base64.
     *
     * @param value the record's value; null for a record without one
     */
    public static ErrorEvent of(String id, SourceRef source, ErrorCode code, String message,
            byte[] value, String worker, long timestampMs) {
        if (value == null) {
            return new ErrorEvent(id, source, code, message, null, null, false, worker, timestampMs);
        }
        boolean truncated = value.length > RAW_VALUE_MAX_BYTES;
        int kept = Math.min(value.length, RAW_VALUE_MAX_BYTES);
        String text = utf8Prefix(value, kept, truncated);
        return text != null
                ? new ErrorEvent(id, source, code, message, text, RawValueEncoding.UTF_8, truncated,
                        worker, timestampMs)
                : new ErrorEvent(id, source, code, message,
                        Base64.getEncoder().encodeToString(Arrays.copyOf(value, kept)),
                        RawValueEncoding.BASE64, truncated, worker, timestampMs);
    }

    /**
     * The first {@code length} bytes as text, or null if they are not UTF-8. When the value goes
     * on past them, a character cut in two at the end is dropped rather than counted as invalid.
     */
    private static String utf8Prefix(byte[] value, int length, boolean truncated) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(value, 0, length);
        CharBuffer out = CharBuffer.allocate(length);
        if (decoder.decode(in, out, !truncated).isError()) {
            return null;
        }
        if (!truncated && decoder.flush(out).isError()) {
            return null;
        }
        return out.flip().toString();
    }

    /** Where the rejected record is. */
    public record SourceRef(
            @JsonProperty("topic") String topic,
            @JsonProperty("partition") int partition,
            @JsonProperty("offset") long offset) {

        public SourceRef {
            Objects.requireNonNull(topic, "topic");
            Checks.atLeast(0, partition, "partition");
            Checks.atLeast(0L, offset, "offset");
        }
    }

    /** How {@code raw_value} is written. */
    public enum RawValueEncoding {
        UTF_8("utf-8"),
        BASE64("base64");

        private final String wireName;

        RawValueEncoding(String wireName) {
            this.wireName = wireName;
        }

        @JsonValue
        public String wireName() {
            return wireName;
        }

        @JsonCreator
        public static RawValueEncoding fromWireName(String wireName) {
            for (RawValueEncoding encoding : values()) {
                if (encoding.wireName.equals(wireName)) {
                    return encoding;
                }
            }
            throw new IllegalArgumentException("unknown raw_value_encoding: " + wireName);
        }
    }
}
