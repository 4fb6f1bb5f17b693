package dev.minitron.schemas.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The Jackson configuration of the wire format. Reading is hardened for untrusted input: nesting
 * and name lengths are capped (no stack overflow on {@code [[[[…}), a duplicate key or trailing
 * data is an error instead of a silent pick, and a null for a primitive field is refused.
 * Unknown fields are ignored when binding, so consumers of the output topics keep working when a
 * later v1 revision adds an optional field; the prompt decoder rejects them earlier, by schema.
 */
public final class WireJson {
    /** Deep enough for every v1 event (at most 5 levels), far short of the stack. */
    public static final int MAX_NESTING_DEPTH = 32;
    /** Field names beyond this are not a typo worth reporting by name. */
    public static final int MAX_NAME_LENGTH = 1024;

    private static final JsonMapper MAPPER = newMapper();

    private WireJson() {}

    /** A new mapper with the wire configuration, for callers that need one of their own. */
    public static JsonMapper newMapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxNameLength(MAX_NAME_LENGTH)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        return JsonMapper.builder(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    /** The shared reader; immutable and thread-safe. */
    public static ObjectReader reader() {
        return MAPPER.reader();
    }

    /** The shared writer; immutable and thread-safe. */
    public static ObjectWriter writer() {
        return MAPPER.writer();
    }
}
