package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The terminal answer to one attempt at a prompt, on the compacted completions topic. It holds
 * an {@link ErrorInfo} exactly when {@code finishReason} is {@link FinishReason#ERROR}.
 *
 * @param text the whole generated text of the attempt, without a matched stop string
 * @param metadata the prompt's metadata, echoed; null when it had none
 * @param logprobs one entry per generated token when the prompt asked for logprobs; else null
 * @param incomplete true when a structured-output request ended before its grammar could (its
 *     text is a prefix of a valid output and may not parse); null (absent) otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CompletionEvent(
        @JsonProperty("id") String id,
        @JsonProperty("attempt") int attempt,
        @JsonProperty("text") String text,
        @JsonProperty("finish_reason") FinishReason finishReason,
        @JsonProperty("usage") Usage usage,
        @JsonProperty("timing") Timing timing,
        @JsonProperty("model") String model,
        @JsonProperty("worker") String worker,
        @JsonProperty("error") ErrorInfo error,
        @JsonProperty("metadata") Map<String, String> metadata,
        @JsonProperty("logprobs") List<TokenLogprob> logprobs,
        @JsonProperty("incomplete") Boolean incomplete)
        implements WireEvent {

    public CompletionEvent {
        Checks.requireId(id);
        Checks.atLeast(1, attempt, "attempt");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(finishReason, "finish_reason");
        Objects.requireNonNull(usage, "usage");
        Objects.requireNonNull(timing, "timing");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(worker, "worker");
        if ((finishReason == FinishReason.ERROR) != (error != null)) {
            throw new IllegalArgumentException(
                    "error: required exactly when finish_reason is error (was " + finishReason.wireName()
                            + (error == null ? ", without error)" : ", with error)"));
        }
        metadata = Checks.copyOrNull(metadata);
        logprobs = Checks.copyOrNull(logprobs);
        if (Boolean.FALSE.equals(incomplete)) {
            incomplete = null;   // written only when true
        }
    }

    /** A completion of a request whose output is complete or unconstrained. */
    public CompletionEvent(String id, int attempt, String text, FinishReason finishReason, Usage usage, Timing timing,
            String model, String worker, ErrorInfo error, Map<String, String> metadata, List<TokenLogprob> logprobs) {
        this(id, attempt, text, finishReason, usage, timing, model, worker, error, metadata, logprobs, null);
    }

    /** Token counts of the attempt, as in OpenAI's usage object. */
    public record Usage(
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("completion_tokens") int completionTokens,
            @JsonProperty("cached_tokens") int cachedTokens) {

        public Usage {
            Checks.atLeast(0, promptTokens, "prompt_tokens");
            Checks.atLeast(0, completionTokens, "completion_tokens");
            Checks.atLeast(0, cachedTokens, "cached_tokens");
            if (cachedTokens > promptTokens) {
                throw new IllegalArgumentException("cached_tokens: at most prompt_tokens ("
                        + promptTokens + "), was " + cachedTokens);
            }
        }
    }

    /**
     * Where the attempt's time went, in milliseconds from the prompt record's timestamp.
     *
     * @param ttftMs time to the first token; null when no token was produced (written as null)
     */
    public record Timing(
            @JsonProperty("queued_ms") long queuedMs,
            @JsonProperty("ttft_ms") @JsonInclude(JsonInclude.Include.ALWAYS) Long ttftMs,
            @JsonProperty("duration_ms") long durationMs) {

        public Timing {
            Checks.atLeast(0L, queuedMs, "queued_ms");
            if (ttftMs != null) {
                Checks.atLeast(0L, ttftMs, "ttft_ms");
            }
            Checks.atLeast(0L, durationMs, "duration_ms");
        }
    }

    /** What went wrong with a request that finished with {@link FinishReason#ERROR}. */
    public record ErrorInfo(
            @JsonProperty("code") ErrorCode code,
            @JsonProperty("message") String message) {

        public ErrorInfo {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
        }
    }
}
