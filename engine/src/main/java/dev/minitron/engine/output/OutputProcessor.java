package dev.minitron.engine.output;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tokenizer.IncrementalDetokenizer;
import dev.minitron.engine.tokenizer.Tokenizer;
import java.util.List;

/**
 * Turns one sequence's sampled tokens into text deltas and decides when it stops: EOS, stop token
 * ids, stop strings, {@code max_tokens}, the context length.
 *
 * <p>Invariant: {@code text[0, emitted)} has been handed out and contains no stop string;
 * {@code text[emitted, length)} is held back because it is a prefix of some stop string (or the
 * detokenizer is still holding an incomplete UTF-8 character). Stop strings never reach the output.
 */
public final class OutputProcessor {

    /** The result of one token: the new safe text and, if the sequence ends here, why. */
    public record Step(String delta, FinishReason finishReason) {
    }

    private final SamplingParams params;
    private final int eosId;
    private final int maxModelLen;
    private final IncrementalDetokenizer detokenizer;
    private final StringBuilder text = new StringBuilder();
    private int emitted;

    public OutputProcessor(Tokenizer tokenizer, SamplingParams params, int maxModelLen) {
        this.params = params;
        this.eosId = tokenizer.eosId();
        this.maxModelLen = maxModelLen;
        this.detokenizer = new IncrementalDetokenizer(tokenizer);
    }

    /**
     * @param numOutputTokens output tokens including this one
     * @param numTokens       prompt plus output tokens including this one
     */
    public Step onToken(int token, int numOutputTokens, int numTokens) {
        if ((token == eosId && !params.ignoreEos()) || isStopTokenId(token)) {
            return flushAndFinish(FinishReason.STOP);
        }
        text.append(detokenizer.push(token));
        int stopAt = findStop();
        if (stopAt >= 0) {
            text.setLength(stopAt);
            return finish(FinishReason.STOP);
        }
        if (numOutputTokens >= params.maxTokens() || numTokens >= maxModelLen) {
            return flushAndFinish(FinishReason.LENGTH);
        }
        int safeEnd = text.length() - heldBackLength();
        String delta = text.substring(emitted, safeEnd);
        emitted = safeEnd;
        return new Step(delta, null);
    }

    /** Ends the sequence for a reason from outside (timeout, cancel, error): flushes what is held. */
    public String finishExternally() {
        return flushAndFinish(null).delta();
    }

    /** All text handed out so far (the completion's text once finished). */
    public String text() {
        return text.substring(0, emitted);
    }

    /** Releases everything held back (a stop string found in it still ends the text there). */
    private Step flushAndFinish(FinishReason reason) {
        text.append(detokenizer.flush());
        int stopAt = findStop();
        if (stopAt >= 0) {
            text.setLength(stopAt);
            if (reason != null) {
                reason = FinishReason.STOP;
            }
        }
        return finish(reason);
    }

    private Step finish(FinishReason reason) {
        String delta = text.substring(emitted);
        emitted = text.length();
        return new Step(delta, reason);
    }

    private boolean isStopTokenId(int token) {
        for (int id : params.stopTokenIds()) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }

    /** Earliest start of a stop string at or after {@code emitted}, or -1. */
    private int findStop() {
        int best = -1;
        for (String stop : params.stop()) {
            int at = text.indexOf(stop, emitted);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** Length of the longest suffix of the text that is a proper prefix of a stop string. */
    private int heldBackLength() {
        List<String> stops = params.stop();
        int held = 0;
        int available = text.length() - emitted;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, available); len > held; len--) {
                if (regionMatches(stop, len)) {
                    held = len;
                    break;
                }
            }
        }
        return held;
    }

    private boolean regionMatches(String stop, int len) {
        int start = text.length() - len;
        for (int i = 0; i < len; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
