package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * New text of one request, on the tokens topic. Within an attempt {@code seq} counts 0, 1, 2 …;
 * a redelivered prompt starts a new attempt, and consumers keep the highest one.
 *
 * @param text the text added since the previous event of the attempt (may be empty while an
 *     incomplete character or a possible stop string is held back)
 * @param logprobs one entry per token id, when the prompt asked for logprobs; else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenEvent(
        @JsonProperty("id") String id,
        @JsonProperty("attempt") int attempt,
        @JsonProperty("seq") int seq,
        @JsonProperty("text") String text,
        @JsonProperty("token_ids") TokenIds tokenIds,
        @JsonProperty("logprobs") List<TokenLogprob> logprobs)
        implements WireEvent {

    public TokenEvent {
        Checks.requireId(id);
        Checks.atLeast(1, attempt, "attempt");
        Checks.atLeast(0, seq, "seq");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(tokenIds, "token_ids");
        logprobs = Checks.copyOrNull(logprobs);
        if (logprobs != null && logprobs.size() != tokenIds.size()) {
            throw new IllegalArgumentException("logprobs: must have one entry per token id ("
                    + tokenIds.size() + "), had " + logprobs.size());
        }
    }

    public TokenEvent(String id, int attempt, int seq, String text, TokenIds tokenIds) {
        this(id, attempt, seq, text, tokenIds, null);
    }
}
