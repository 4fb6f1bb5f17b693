package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Asks the fleet to stop a request; the worker running it answers {@code cancelled} within one
 * engine step. A cancel for a finished or unknown id has no effect.
 *
 * @param reason why, for logs and traces; may be null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CancelEvent(
        @JsonProperty("id") String id,
        @JsonProperty("reason") String reason)
        implements WireEvent {

    public static final int MAX_REASON_LENGTH = 256;

    public CancelEvent {
        Checks.requireId(id);
        if (reason != null && reason.codePointCount(0, reason.length()) > MAX_REASON_LENGTH) {
            throw new IllegalArgumentException("reason: at most " + MAX_REASON_LENGTH + " characters");
        }
    }

    public static CancelEvent of(String id) {
        return new CancelEvent(id, null);
    }
}
