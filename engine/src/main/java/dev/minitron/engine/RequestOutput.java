package dev.minitron.engine;

import dev.minitron.engine.sample.TokenLogprobs;
import java.util.List;

/** What the engine tells a request's sink: token deltas, then exactly one {@link Finished}. */
public sealed interface RequestOutput {

    String requestId();

    /**
     * New tokens of one step. {@code text} is the newly safe text: incomplete UTF-8 and a tail that
     * could still become a stop string are held back, so the deltas concatenate to the final text.
     *
     * @param seq 0, 1, 2 … per request
     */
    record TokenDelta(String requestId, int seq, int[] tokenIds, String text, List<TokenLogprobs> logprobs)
            implements RequestOutput {
    }

    /**
     * The end of a request.
     *
     * @param errorCode   a stable code when {@code reason} is ERROR ({@code prompt_too_long},
     *                    {@code engine_error}, …), else null
     * @param queuedMillis arrival to first scheduled (or to the end if never scheduled)
     * @param ttftMillis   arrival to first token, or null if none was produced
     * @param incomplete   a structured-output request ended before its grammar could (on
     *                     {@code max_tokens}, say): the text is a prefix of a valid output, not one
     */
    record Finished(String requestId, FinishReason reason, String text, int[] outputTokenIds,
                    int promptTokens, int completionTokens, int cachedTokens,
                    long queuedMillis, Long ttftMillis, long durationMillis,
                    String errorCode, String errorMessage, boolean incomplete) implements RequestOutput {

        /** The end of an unconstrained request (or of one that never started). */
        public Finished(String requestId, FinishReason reason, String text, int[] outputTokenIds,
                        int promptTokens, int completionTokens, int cachedTokens,
                        long queuedMillis, Long ttftMillis, long durationMillis,
                        String errorCode, String errorMessage) {
            this(requestId, reason, text, outputTokenIds, promptTokens, completionTokens, cachedTokens,
                    queuedMillis, ttftMillis, durationMillis, errorCode, errorMessage, false);
        }
    }
}
