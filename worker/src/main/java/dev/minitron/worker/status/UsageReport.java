package dev.minitron.worker.status;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The body of {@code GET /usage/{tenant}}: the tenant's windows that start in {@code [from, to]}
 * (open ones included, so the numbers are live) and their sums.
 */
public record UsageReport(
        @JsonProperty("tenant") String tenant,
        @JsonProperty("from") long from,
        @JsonProperty("to") long to,
        @JsonProperty("prompt_tokens") long promptTokens,
        @JsonProperty("completion_tokens") long completionTokens,
        @JsonProperty("requests") long requests,
        @JsonProperty("windows") List<UsageRecord> windows) {

    public UsageReport {
        windows = List.copyOf(windows);
    }

    static UsageReport of(String tenant, long from, long to, List<UsageRecord> windows) {
        long p = 0;
        long c = 0;
        long r = 0;
        for (UsageRecord w : windows) {
            p += w.promptTokens();
            c += w.completionTokens();
            r += w.requests();
        }
        return new UsageReport(tenant, from, to, p, c, r, windows);
    }
}
