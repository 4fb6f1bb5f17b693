package dev.minitron.worker.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One request in the status view: the value of the status store, keyed by request id, and the
 * body of {@code GET /requests/{id}}. Built only from the topics, so every instance agrees.
 *
 * @param attempts the highest attempt seen in token events or completions (0 while queued)
 * @param tokens generated tokens of the newest attempt so far; the completion's
 *     {@code completion_tokens} once done
 * @param worker the worker that answered; null until a completion or error event names one
 *     (token events do not carry it)
 * @param promptSeen whether the prompt record itself was seen (answers can come first)
 * @param metered whether this request was counted in the usage windows (once per id)
 * @param firstSeenMs timestamp of the first record seen for the id
 * @param updatedMs timestamp of the record that last changed the entry; retention counts from it
 * @param completedMs timestamp of the completion that is counted in usage; null before one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RequestStatus(
        @JsonProperty("id") String id,
        @JsonProperty("status") RequestState status,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("attempts") int attempts,
        @JsonProperty("tokens") int tokens,
        @JsonProperty("worker") String worker,
        @JsonProperty("model") String model,
        @JsonProperty("finish_reason") String finishReason,
        @JsonProperty("prompt_tokens") Integer promptTokens,
        @JsonProperty("completion_tokens") Integer completionTokens,
        @JsonProperty("error_code") String errorCode,
        @JsonProperty("error_message") String errorMessage,
        @JsonProperty("prompt_seen") boolean promptSeen,
        @JsonProperty("metered") boolean metered,
        @JsonProperty("first_seen_ms") long firstSeenMs,
        @JsonProperty("updated_ms") long updatedMs,
        @JsonProperty("completed_ms") Long completedMs) {

    public RequestStatus {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
    }

    /** A new entry for an id first seen at {@code timestampMs}. */
    static RequestStatus first(String id, RequestState state, long timestampMs) {
        return new RequestStatus(id, state, null, 0, 0, null, null, null, null, null, null, null,
                false, false, timestampMs, timestampMs, null);
    }

    RequestStatus withState(RequestState state, int attempts, int tokens, long updatedMs) {
        return new RequestStatus(id, state, tenant, attempts, tokens, worker, model, finishReason,
                promptTokens, completionTokens, errorCode, errorMessage, promptSeen, metered,
                firstSeenMs, updatedMs, completedMs);
    }

    RequestStatus withPrompt(String tenant, long updatedMs) {
        return new RequestStatus(id, status, this.tenant != null ? this.tenant : tenant, attempts, tokens,
                worker, model, finishReason, promptTokens, completionTokens, errorCode, errorMessage,
                true, metered, firstSeenMs, Math.max(this.updatedMs, updatedMs), completedMs);
    }

    /** Forgets the previous attempt's answer when a newer attempt starts. */
    RequestStatus restarted(int attempt, int tokens, long updatedMs) {
        return new RequestStatus(id, RequestState.RUNNING, tenant, attempt, tokens, null, null, null,
                null, null, null, null, promptSeen, metered, firstSeenMs, updatedMs, completedMs);
    }

    RequestStatus answered(RequestState state, int attempt, int tokens, String worker, String model,
            String finishReason, Integer promptTokens, Integer completionTokens, String errorCode,
            String errorMessage, long updatedMs, Long completedMs) {
        return new RequestStatus(id, state, tenant, attempt, tokens, worker, model, finishReason,
                promptTokens, completionTokens, errorCode, errorMessage, promptSeen, metered, firstSeenMs,
                updatedMs, completedMs);
    }

    RequestStatus asMetered() {
        return new RequestStatus(id, status, tenant, attempts, tokens, worker, model, finishReason,
                promptTokens, completionTokens, errorCode, errorMessage, promptSeen, true, firstSeenMs,
                updatedMs, completedMs);
    }
}
