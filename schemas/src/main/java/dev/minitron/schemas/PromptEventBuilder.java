package dev.minitron.schemas;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Builds a {@link PromptEvent}; a field not set is left out of the record and of its JSON. */
public final class PromptEventBuilder {
    private final String id;
    private String prompt;
    private TokenIds promptTokenIds;
    private Integer maxTokens;
    private Double temperature;
    private Double topP;
    private Integer topK;
    private Double minP;
    private Double repetitionPenalty;
    private Double presencePenalty;
    private Double frequencyPenalty;
    private Long seed;
    private List<String> stop;
    private TokenIds stopTokenIds;
    private Boolean ignoreEos;
    private Integer logprobs;
    private Boolean stream;
    private Integer priority;
    private Long timeoutMs;
    private Instant deadline;
    private String tenant;
    private Map<String, String> metadata;
    private ResponseFormat responseFormat;
    private StructuredOutputs structuredOutputs;

    PromptEventBuilder(String id) {
        this.id = id;
    }

    public PromptEventBuilder prompt(String prompt) {
        this.prompt = prompt;
        return this;
    }

    public PromptEventBuilder promptTokenIds(int... promptTokenIds) {
        this.promptTokenIds = TokenIds.of(promptTokenIds);
        return this;
    }

    public PromptEventBuilder maxTokens(int maxTokens) {
        this.maxTokens = maxTokens;
        return this;
    }

    public PromptEventBuilder temperature(double temperature) {
        this.temperature = temperature;
        return this;
    }

    public PromptEventBuilder topP(double topP) {
        this.topP = topP;
        return this;
    }

    public PromptEventBuilder topK(int topK) {
        this.topK = topK;
        return this;
    }

    public PromptEventBuilder minP(double minP) {
        this.minP = minP;
        return this;
    }

    public PromptEventBuilder repetitionPenalty(double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
        return this;
    }

    public PromptEventBuilder presencePenalty(double presencePenalty) {
        this.presencePenalty = presencePenalty;
        return this;
    }

    public PromptEventBuilder frequencyPenalty(double frequencyPenalty) {
        this.frequencyPenalty = frequencyPenalty;
        return this;
    }

    public PromptEventBuilder seed(long seed) {
        this.seed = seed;
        return this;
    }

    public PromptEventBuilder stop(String... stop) {
        this.stop = List.of(stop);
        return this;
    }

    public PromptEventBuilder stopTokenIds(int... stopTokenIds) {
        this.stopTokenIds = TokenIds.of(stopTokenIds);
        return this;
    }

    public PromptEventBuilder ignoreEos(boolean ignoreEos) {
        this.ignoreEos = ignoreEos;
        return this;
    }

    public PromptEventBuilder logprobs(int logprobs) {
        this.logprobs = logprobs;
        return this;
    }

    public PromptEventBuilder stream(boolean stream) {
        this.stream = stream;
        return this;
    }

    public PromptEventBuilder priority(int priority) {
        this.priority = priority;
        return this;
    }

    public PromptEventBuilder timeoutMs(long timeoutMs) {
        this.timeoutMs = timeoutMs;
        return this;
    }

    public PromptEventBuilder deadline(Instant deadline) {
        this.deadline = deadline;
        return this;
    }

    public PromptEventBuilder tenant(String tenant) {
        this.tenant = tenant;
        return this;
    }

    public PromptEventBuilder metadata(Map<String, String> metadata) {
        this.metadata = metadata;
        return this;
    }

    public PromptEventBuilder responseFormat(ResponseFormat responseFormat) {
        this.responseFormat = responseFormat;
        return this;
    }

    public PromptEventBuilder structuredOutputs(StructuredOutputs structuredOutputs) {
        this.structuredOutputs = structuredOutputs;
        return this;
    }

    public PromptEvent build() {
        return new PromptEvent(id, prompt, promptTokenIds, maxTokens, temperature, topP, topK, minP,
                repetitionPenalty, presencePenalty, frequencyPenalty, seed, stop, stopTokenIds, ignoreEos,
                logprobs, stream, priority, timeoutMs, deadline, tenant, metadata, responseFormat,
                structuredOutputs);
    }
}
