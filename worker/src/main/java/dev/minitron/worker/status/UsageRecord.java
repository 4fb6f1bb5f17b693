package dev.minitron.worker.status;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * A tenant's usage in one tumbling window: a record on {@code minitron.usage} (keyed by tenant,
 * written once when the window closes) and an entry of {@code GET /usage/{tenant}}. Windows are
 * half-open, {@code [window_start, window_end)}, in epoch milliseconds of the completions'
 * record timestamps.
 */
public record UsageRecord(
        @JsonProperty("tenant") String tenant,
        @JsonProperty("window_start") long windowStart,
        @JsonProperty("window_end") long windowEnd,
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("requests") long requests) {

    public UsageRecord {
        Objects.requireNonNull(tenant, "tenant");
    }

    static UsageRecord of(String tenant, long windowStart, long windowEnd, TenantUsage usage) {
        return new UsageRecord(tenant, windowStart, windowEnd, usage.promptTokens(), usage.completionTokens(),
                usage.requests());
    }
}
