package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Stable error codes: clients may branch on them, so a wire name never changes meaning. */
public enum ErrorCode {
    /** Not UTF-8, not JSON, a duplicate key, nested too deeply, or no value at all. */
    INVALID_JSON("invalid_json"),
    /**
     * Valid JSON that breaks the schema: a wrong type, a missing field, a rule between fields; on a
     * completion, a request the engine cannot take (a prompt token id outside the vocabulary).
     */
    INVALID_REQUEST("invalid_request"),
    /** A field the schema does not name (the prompt schema is strict). */
    UNKNOWN_FIELD("unknown_field"),
    /** A number, a length or a count outside its allowed range. */
    VALUE_OUT_OF_RANGE("value_out_of_range"),
    /** The prompt leaves no room for output in the model's context (reported on a completion). */
    PROMPT_TOO_LONG("prompt_too_long"),
    /** The record is larger than the worker accepts. */
    RECORD_TOO_LARGE("record_too_large"),
    /** A request with the same id is being generated right now, or was answered within the worker's idempotency window. */
    DUPLICATE_ID("duplicate_id"),
    /**
     * A structured-output request whose JSON Schema uses a keyword outside the supported subset;
     * the message names it. Refused rather than loosened (docs/structured-outputs.md).
     */
    UNSUPPORTED_SCHEMA("unsupported_schema"),
    /** A fault of the fleet, not of the request. */
    INTERNAL("internal");

    private final String wireName;

    ErrorCode(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static ErrorCode fromWireName(String wireName) {
        for (ErrorCode code : values()) {
            if (code.wireName.equals(wireName)) {
                return code;
            }
        }
        throw new IllegalArgumentException("unknown error code: " + wireName);
    }
}
