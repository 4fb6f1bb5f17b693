package dev.minitron.worker.status;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Token counts of one tenant: one request's contribution on the way to the windows, and a
 * window's running sum in the usage store.
 */
public record TenantUsage(
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("requests") long requests) {

    public static final TenantUsage ZERO = new TenantUsage(0, 0, 0);

    public TenantUsage plus(TenantUsage other) {
        return new TenantUsage(promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                requests + other.requests);
    }
}
