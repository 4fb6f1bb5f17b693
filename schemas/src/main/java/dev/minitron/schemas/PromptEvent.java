package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.minitron.schemas.json.Rfc3339;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A completion request on the prompts topic. Field names follow OpenAI's Completions API and
 * vLLM's SamplingParams. A null component is a field the producer left out: the record keeps
 * what was on the wire, and {@link #sampling()} applies the defaults. Decode untrusted bytes with
 * {@code PromptDecoder}, which checks every range of the schema; this constructor checks only
 * the rules that make a request well-formed.
 *
 * @param stop stop strings; the wire also takes a single string, read as a one-element list
 * @param timeoutMs time budget from the record's timestamp; at most one of it and deadline
 * @param metadata string pairs echoed on the completion, in the producer's order
 * @param responseFormat OpenAI's structured-output field; at most one of it and structuredOutputs
 * @param structuredOutputs vLLM's structured-output field
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PromptEvent(
        @JsonProperty("id") String id,
        @JsonProperty("prompt") String prompt,
        @JsonProperty("prompt_token_ids") TokenIds promptTokenIds,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("temperature") Double temperature,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("min_p") Double minP,
        @JsonProperty("repetition_penalty") Double repetitionPenalty,
        @JsonProperty("presence_penalty") Double presencePenalty,
        @JsonProperty("frequency_penalty") Double frequencyPenalty,
        @JsonProperty("seed") Long seed,
        @JsonProperty("stop") @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                List<String> stop,
        @JsonProperty("stop_token_ids") TokenIds stopTokenIds,
        @JsonProperty("ignore_eos") Boolean ignoreEos,
        @JsonProperty("logprobs") Integer logprobs,
        @JsonProperty("stream") Boolean stream,
        @JsonProperty("priority") Integer priority,
        @JsonProperty("timeout_ms") Long timeoutMs,
        @JsonProperty("deadline")
                @JsonSerialize(using = Rfc3339.Serializer.class)
                @JsonDeserialize(using = Rfc3339.Deserializer.class)
                Instant deadline,
        @JsonProperty("tenant") String tenant,
        @JsonProperty("metadata") Map<String, String> metadata,
        @JsonProperty("response_format") ResponseFormat responseFormat,
        @JsonProperty("structured_outputs") StructuredOutputs structuredOutputs)
        implements WireEvent {

    public PromptEvent {
        Checks.requireId(id);
        if ((prompt == null) == (promptTokenIds == null)) {
            throw new IllegalArgumentException("prompt, prompt_token_ids: give exactly one of them, not "
                    + (prompt == null ? "neither" : "both"));
        }
        if (promptTokenIds != null && promptTokenIds.isEmpty()) {
            throw new IllegalArgumentException("prompt_token_ids: must hold at least one token");
        }
        if (timeoutMs != null && deadline != null) {
            throw new IllegalArgumentException("timeout_ms, deadline: give at most one of them, not both");
        }
        if (responseFormat != null && structuredOutputs != null) {
            throw new IllegalArgumentException("response_format, structured_outputs: give at most one of them, not both");
        }
        Checks.finite(temperature, "temperature");
        Checks.finite(topP, "top_p");
        Checks.finite(minP, "min_p");
        Checks.finite(repetitionPenalty, "repetition_penalty");
        Checks.finite(presencePenalty, "presence_penalty");
        Checks.finite(frequencyPenalty, "frequency_penalty");
        stop = Checks.copyOrNull(stop);
        metadata = Checks.copyOrNull(metadata);
    }

    /** A text prompt with every other field at its default. */
    public static PromptEvent of(String id, String prompt) {
        return builder(id).prompt(prompt).build();
    }

    /** A prompt given as token ids, with every other field at its default. */
    public static PromptEvent ofTokens(String id, int... promptTokenIds) {
        return builder(id).promptTokenIds(promptTokenIds).build();
    }

    public static PromptEventBuilder builder(String id) {
        return new PromptEventBuilder(id);
    }

    /** The sampling parameters with the v1 defaults applied where a field was left out. */
    public Sampling sampling() {
        return new Sampling(
                Objects.requireNonNullElse(maxTokens, Sampling.DEFAULT_MAX_TOKENS),
                Objects.requireNonNullElse(temperature, Sampling.DEFAULT_TEMPERATURE),
                Objects.requireNonNullElse(topP, Sampling.DEFAULT_TOP_P),
                Objects.requireNonNullElse(topK, Sampling.DEFAULT_TOP_K),
                Objects.requireNonNullElse(minP, Sampling.DEFAULT_MIN_P),
                Objects.requireNonNullElse(repetitionPenalty, Sampling.DEFAULT_REPETITION_PENALTY),
                Objects.requireNonNullElse(presencePenalty, Sampling.DEFAULT_PRESENCE_PENALTY),
                Objects.requireNonNullElse(frequencyPenalty, Sampling.DEFAULT_FREQUENCY_PENALTY),
                seed,
                stop == null ? List.of() : stop,
                stopTokenIds == null ? TokenIds.of() : stopTokenIds,
                Objects.requireNonNullElse(ignoreEos, Sampling.DEFAULT_IGNORE_EOS),
                logprobs);
    }

    /**
     * Whether the output is constrained: {@code structured_outputs}, or a {@code response_format}
     * other than {@code text}.
     */
    public boolean structured() {
        return structuredOutputs != null || (responseFormat != null && !responseFormat.type().equals(ResponseFormat.TEXT));
    }

    /** Whether token events are published (the v1 default: yes). */
    public boolean streaming() {
        return stream == null || stream;
    }

    /** The scheduling priority, lower sooner (the v1 default: 0). */
    public int priorityOrDefault() {
        return priority == null ? 0 : priority;
    }

    /**
     * When the request expires: {@code deadline}, or {@code timeout_ms} after the record was
     * written; empty when it has neither.
     */
    public Optional<Instant> expiresAt(Instant recordTimestamp) {
        if (deadline != null) {
            return Optional.of(deadline);
        }
        if (timeoutMs == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(recordTimestamp.plusMillis(timeoutMs));
        } catch (DateTimeException | ArithmeticException beyondTime) {
            return Optional.of(Instant.MAX);
        }
    }

    /**
     * The sampling parameters of a prompt with every default resolved (vLLM's SamplingParams).
     *
     * @param topK -1 or 0 turn it off
     * @param seed null for an unseeded request
     * @param logprobs how many alternatives to report per token; null for no logprobs at all
     */
    public record Sampling(
            int maxTokens,
            double temperature,
            double topP,
            int topK,
            double minP,
            double repetitionPenalty,
            double presencePenalty,
            double frequencyPenalty,
            Long seed,
            List<String> stop,
            TokenIds stopTokenIds,
            boolean ignoreEos,
            Integer logprobs) {

        public static final int DEFAULT_MAX_TOKENS = 16;
        public static final double DEFAULT_TEMPERATURE = 1.0;
        public static final double DEFAULT_TOP_P = 1.0;
        public static final int DEFAULT_TOP_K = 0;
        public static final double DEFAULT_MIN_P = 0.0;
        public static final double DEFAULT_REPETITION_PENALTY = 1.0;
        public static final double DEFAULT_PRESENCE_PENALTY = 0.0;
        public static final double DEFAULT_FREQUENCY_PENALTY = 0.0;
        public static final boolean DEFAULT_IGNORE_EOS = false;

        /** Temperature 0 means greedy decoding. */
        public boolean greedy() {
            return temperature == 0.0;
        }
    }
}
