package dev.minitron.schemas.decode;

import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.ErrorEvent.SourceRef;
import java.util.Objects;
import java.util.Optional;

/**
 * A prompt record that is not a valid request. The message is meant for the producer: it names
 * the field and the rule, e.g. {@code temperature: must be ≤ 2, was 7.5}. It has no stack trace:
 * it reports bad input, not a fault.
 */
public final class InvalidPromptException extends Exception {
    private final ErrorCode code;
    private final String idIfKnown;

    /**
     * @param idIfKnown the record's request id when it could be read, else null
     */
    public InvalidPromptException(ErrorCode code, String message, String idIfKnown) {
        super(Unicode.clean(Objects.requireNonNull(message, "message")), null, false, false);
        this.code = Objects.requireNonNull(code, "code");
        this.idIfKnown = idIfKnown;
    }

    public ErrorCode code() {
        return code;
    }

    /** The request id, when the record held a valid one. */
    public Optional<String> id() {
        return Optional.ofNullable(idIfKnown);
    }

    /** The error event that answers the rejected record. */
    public ErrorEvent toErrorEvent(SourceRef source, byte[] value, String worker, long timestampMs) {
        return ErrorEvent.of(idIfKnown, source, code, getMessage(), value, worker, timestampMs);
    }
}
