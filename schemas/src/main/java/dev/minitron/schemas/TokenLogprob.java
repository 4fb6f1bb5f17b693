package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The log probability of one sampled token and, when asked for, of the most likely tokens at
 * its position ({@code top_logprobs}, most likely first).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenLogprob(
        @JsonProperty("token_id") int tokenId,
        @JsonProperty("token") String token,
        @JsonProperty("logprob") double logprob,
        @JsonProperty("top_logprobs") List<Alternative> topLogprobs) {

    public static final int MAX_TOP_LOGPROBS = 20;

    public TokenLogprob {
        Checks.atLeast(0, tokenId, "token_id");
        requireLogprob(logprob);
        topLogprobs = Checks.copyOrNull(topLogprobs);
        if (topLogprobs != null && topLogprobs.size() > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException(
                    "top_logprobs: at most " + MAX_TOP_LOGPROBS + ", was " + topLogprobs.size());
        }
    }

    /** One of the most likely tokens at a position. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Alternative(
            @JsonProperty("token_id") int tokenId,
            @JsonProperty("token") String token,
            @JsonProperty("logprob") double logprob) {

        public Alternative {
            Checks.atLeast(0, tokenId, "token_id");
            requireLogprob(logprob);
        }
    }

    private static void requireLogprob(double logprob) {
        if (!(logprob <= 0) || Double.isInfinite(logprob)) {
            throw new IllegalArgumentException("logprob: must be a finite number ≤ 0, was " + logprob);
        }
    }
}
