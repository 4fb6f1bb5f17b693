package dev.minitron.schemas.decode;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.networknt.schema.Error;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.json.WireSchema;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decodes the value of a prompt record: UTF-8 JSON, checked against the v1 prompt schema, then
 * bound to a {@link PromptEvent}. Whatever the bytes, it returns an event or throws an {@link
 * InvalidPromptException} with a stable code and a message that names the field and the rule;
 * the request id is recovered whenever the record holds a valid one. Thread-safe.
 */
public final class PromptDecoder {
    /** Kafka's default largest record ({@code message.max.bytes}, rounded to 1 MiB). */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
    private static final int MAX_MESSAGE_CHARS = 400;

    /** Trailing data is checked by hand, to say so in plain words. */
    private static final ObjectReader READER =
            WireJson.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ObjectReader BINDER = WireJson.reader().forType(PromptEvent.class);

    private final int maxRecordBytes;
    private final Set<String> knownFields;

    public PromptDecoder() {
        this(DEFAULT_MAX_RECORD_BYTES);
    }

    /**
     * @param maxRecordBytes a larger value is rejected as {@code record_too_large}; it also bounds
     *     the length of the prompt text
     */
    public PromptDecoder(int maxRecordBytes) {
        if (maxRecordBytes < 1) {
            throw new IllegalArgumentException("maxRecordBytes: must be ≥ 1, was " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
        Set<String> fields = new LinkedHashSet<>();
        WireSchema.PROMPT.document().path("properties").fieldNames().forEachRemaining(fields::add);
        this.knownFields = Set.copyOf(fields);
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /**
     * @param value the record's value; null for a record without one
     * @throws InvalidPromptException if it is not a valid v1 prompt event, and for nothing else
     */
    public PromptEvent decode(byte[] value) throws InvalidPromptException {
        try {
            return decodeOrThrow(value);
        } catch (RuntimeException | StackOverflowError e) {
            throw new InvalidPromptException(ErrorCode.INTERNAL,
                    "the record could not be decoded because of a fault in the worker: " + clip(e.toString()),
                    IdRecovery.fromBytes(value));
        }
    }

    private PromptEvent decodeOrThrow(byte[] value) throws InvalidPromptException {
        if (value == null) {
            throw new InvalidPromptException(ErrorCode.INVALID_JSON,
                    "the record has no value; a prompt event is a JSON object", null);
        }
        if (value.length > maxRecordBytes) {
            throw new InvalidPromptException(ErrorCode.RECORD_TOO_LARGE, "the record is "
                    + value.length + " bytes, more than the limit of " + maxRecordBytes + " bytes",
                    IdRecovery.fromBytes(value));
        }
        JsonNode tree = parse(value);
        String id = IdRecovery.fromTree(tree);
        String notUnicode = Unicode.findUnpairedSurrogate(tree, "");
        if (notUnicode != null) {
            throw new InvalidPromptException(ErrorCode.INVALID_JSON,
                    (notUnicode.isEmpty() ? "the record" : notUnicode)
                            + ": holds an unpaired UTF-16 surrogate escape (such as \\ud800), which is not text",
                    id);
        }
        List<Error> errors = WireSchema.PROMPT.validate(tree);
        if (!errors.isEmpty()) {
            SchemaViolations.Violation violation = SchemaViolations.summarize(errors, tree, knownFields);
            throw new InvalidPromptException(violation.code(), violation.message(), id);
        }
        try {
            return BINDER.readValue(tree);
        } catch (IOException | IllegalArgumentException e) {
            throw bindingFailure(e, id);
        }
    }

    private JsonNode parse(byte[] value) throws InvalidPromptException {
        String text = utf8(value);
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            text = text.substring(1);
        }
        if (text.isBlank()) {
            throw new InvalidPromptException(ErrorCode.INVALID_JSON,
                    "the record's value is empty; a prompt event is a JSON object", null);
        }
        try (JsonParser parser = READER.createParser(text)) {
            JsonNode tree = READER.readTree(parser);
            if (parser.nextToken() != null) {
                throw new InvalidPromptException(ErrorCode.INVALID_JSON, "not valid JSON: more data after "
                        + "the end of the object" + at(parser.currentTokenLocation()), IdRecovery.fromTree(tree));
            }
            return tree;
        } catch (StreamConstraintsException e) {
            String limit = e.getOriginalMessage().replaceAll(", from `[^`]*`", "");
            throw new InvalidPromptException(ErrorCode.INVALID_JSON, "not accepted as JSON: "
                    + clip(limit) + at(e.getLocation()), IdRecovery.fromBytes(value));
        } catch (IOException e) {
            throw new InvalidPromptException(ErrorCode.INVALID_JSON, "not valid JSON: "
                    + clip(originalMessage(e)) + at(e instanceof JacksonException j ? j.getLocation() : null),
                    IdRecovery.fromBytes(value));
        }
    }

    private static String utf8(byte[] value) throws InvalidPromptException {
        ByteBuffer in = ByteBuffer.wrap(value);
        CharBuffer out = CharBuffer.allocate(value.length);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new InvalidPromptException(ErrorCode.INVALID_JSON,
                    "not valid UTF-8: malformed bytes at offset " + in.position(),
                    IdRecovery.fromBytes(value));
        }
        return out.flip().toString();
    }

    /**
     * The schema passed but binding failed: rare, as the schema checks what binding needs, but
     * numbers written with an exponent can slip past its integer limits.
     */
    private static InvalidPromptException bindingFailure(Exception e, String id) {
        String field = e instanceof JsonMappingException mapping ? path(mapping) : "";
        if (e instanceof InputCoercionException || e.getCause() instanceof InputCoercionException) {
            return new InvalidPromptException(ErrorCode.VALUE_OUT_OF_RANGE,
                    prefix(field) + "out of range: " + clip(originalMessage(e)), id);
        }
        if (e.getCause() instanceof IllegalArgumentException invariant) {
            // the records' own checks name their field
            return new InvalidPromptException(ErrorCode.INVALID_REQUEST, clip(invariant.getMessage()), id);
        }
        return new InvalidPromptException(ErrorCode.INVALID_REQUEST,
                prefix(field) + clip(originalMessage(e)), id);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String originalMessage(Exception e) {
        return e instanceof JacksonException jackson ? jackson.getOriginalMessage() : String.valueOf(e.getMessage());
    }

    private static String prefix(String field) {
        return field.isEmpty() ? "" : field + ": ";
    }

    private static String at(JsonLocation location) {
        return location == null || location.getLineNr() < 1
                ? ""
                : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String clip(String message) {
        String line = message == null ? "" : message.replaceAll("\\s+", " ").strip();
        return Unicode.shorten(line, MAX_MESSAGE_CHARS);
    }
}
