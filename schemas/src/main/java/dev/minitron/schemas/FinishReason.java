package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Why generation ended; the wire names are OpenAI's plus timeout, cancelled and error. */
public enum FinishReason {
    /** End-of-sequence token, a stop string or a stop token id. */
    STOP("stop"),
    /** max_tokens, or the model's context, was reached. */
    LENGTH("length"),
    /** timeout_ms or the deadline passed, before or during generation. */
    TIMEOUT("timeout"),
    /** A cancel event stopped the request. */
    CANCELLED("cancelled"),
    /** The request failed; the completion carries an error object. */
    ERROR("error");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static FinishReason fromWireName(String wireName) {
        for (FinishReason reason : values()) {
            if (reason.wireName.equals(wireName)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("unknown finish_reason: " + wireName);
    }
}
