package dev.minitron.engine.sample;

import dev.minitron.engine.structured.TokenMask;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from one sequence's logits, in vLLM's order: penalties, then greedy argmax
 * or temperature → top-k → top-p → min-p → a draw from the sequence's own generator. Works in place
 * on the logits row it is given (the row belongs to this step only) and allocates nothing
 * vocabulary-sized: top-k/top-p sort only the {@link Candidates} that can survive, not the vocabulary.
 */
public final class Sampler {

    private Sampler() {
    }

    /**
     * @param logits  [vocab] this step's logits for the sequence; modified
     * @param history the sequence's prompt and output tokens ({@code numPromptTokens} first)
     * @param rng     the sequence's generator (seeded per request when asked)
     */
    public static int sample(float[] logits, SamplingParams params, int[] history, int numPromptTokens,
                             int historyLength, RandomGenerator rng) {
        if (params.hasPenalties()) {
            Penalties.apply(logits, params, history, numPromptTokens, historyLength);
        }
        if (!sanitize(logits) || params.isGreedy()) {
            return argmax(logits);
        }
        return draw(logits, params, rng);
    }

    /**
     * {@link #sample} restricted to the tokens {@code mask} allows (a structured-output row). The
     * mask comes first in effect: penalties only lower or raise logits of tokens already seen, so
     * applying them to the whole row and then keeping the allowed tokens gives the same
     * distribution as masking first. A sparse mask is sampled from a gathered row of only its
     * tokens, so a step where a handful of tokens are allowed never touches the other 256k logits
     * again; a dense one sets the rest to −∞ in place.
     *
     * @param mask null: unconstrained (exactly {@link #sample}); else at least one token
     */
    public static int sample(float[] logits, SamplingParams params, int[] history, int numPromptTokens,
                             int historyLength, RandomGenerator rng, TokenMask mask) {
        if (mask == null) {
            return sample(logits, params, history, numPromptTokens, historyLength, rng);
        }
        if (params.hasPenalties()) {
            Penalties.apply(logits, params, history, numPromptTokens, historyLength);
        }
        if (!mask.isSparse()) {
            mask.applyTo(logits);
            if (!sanitize(logits) || params.isGreedy()) {
                return mask.allows(argmax(logits)) ? argmax(logits) : firstAllowed(mask, logits.length);
            }
            return draw(logits, params, rng);
        }
        int[] ids = mask.ids();
        float[] gathered = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            gathered[i] = logits[ids[i]];
        }
        if (!sanitize(gathered) || params.isGreedy()) {
            return ids[argmax(gathered)];
        }
        return ids[draw(gathered, params, rng)];
    }

    private static int firstAllowed(TokenMask mask, int vocab) {
        for (int id = 0; id < vocab; id++) {
            if (mask.allows(id)) {
                return id;
            }
        }
        throw new IllegalArgumentException("the mask allows no token");
    }

    /**
     * Makes every logit comparable: NaN becomes -∞, +∞ the largest float (extreme penalties can
     * produce both). Returns false when no token is left with a finite logit.
     */
    static boolean sanitize(float[] logits) {
        boolean anyFinite = false;
        for (int i = 0; i < logits.length; i++) {
            float l = logits[i];
            if (Float.isNaN(l)) {
                logits[i] = Float.NEGATIVE_INFINITY;
            } else if (l == Float.POSITIVE_INFINITY) {
                logits[i] = Float.MAX_VALUE;
                anyFinite = true;
            } else if (l != Float.NEGATIVE_INFINITY) {
                anyFinite = true;
            }
        }
        return anyFinite;
    }

    public static int argmax(float[] logits) {
        int best = 0;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > bestValue) {
                bestValue = logits[i];
                best = i;
            }
        }
        return best;
    }

    private static int draw(float[] logits, SamplingParams params, RandomGenerator rng) {
        float[] probs = Softmax.probabilitiesInPlace(logits, (float) params.temperature());
        boolean filter = params.topK() > 0 || params.topP() < 1;
        if (!filter) {
            return drawMinP(probs, params.minP(), rng);
        }
        Candidates c = Candidates.select(probs, params.topK(), params.topP(), params.minP());
        long[] order = c.sorted();   // ascending: the most likely token is last
        int top = c.size() - 1;
        if (top < 0) {
            return argmax(probs);
        }
        int keep = c.size();
        if (params.topK() > 0) {
            keep = Math.min(keep, params.topK());
        }
        if (params.topP() < 1) {
            // top-p applies to the distribution left after top-k, renormalized (vLLM's order).
            double mass = 0;
            if (params.topK() > 0 && params.topK() < probs.length) {
                for (int i = 0; i < keep; i++) {
                    mass += probabilityOf(order[top - i]);
                }
            } else {
                mass = c.totalMass();
            }
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += probabilityOf(order[top - i]);
                if (cumulative >= params.topP() * mass) {
                    keep = i + 1;
                    break;
                }
            }
        }
        float maxProb = probabilityOf(order[top]);
        double threshold = params.minP() * maxProb;
        double total = 0;
        int kept = 0;
        for (int i = 0; i < keep && probabilityOf(order[top - i]) >= threshold; i++) {
            total += probabilityOf(order[top - i]);
            kept++;
        }
        if (kept == 0 || !(total > 0)) {
            return indexOf(order[top]);
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < kept; i++) {
            u -= probabilityOf(order[top - i]);
            if (u < 0) {
                return indexOf(order[top - i]);
            }
        }
        return indexOf(order[top - kept + 1]);
    }

    private static int drawMinP(float[] probs, double minP, RandomGenerator rng) {
        float max = 0;
        for (float p : probs) {
            max = Math.max(max, p);
        }
        double threshold = minP * max;
        double total = 0;
        for (float p : probs) {
            if (p >= threshold) {
                total += p;
            }
        }
        if (!(total > 0)) {
            return argmax(probs);
        }
        double u = rng.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] >= threshold && probs[i] > 0) {
                last = i;
                u -= probs[i];
                if (u < 0) {
                    return i;
                }
            }
        }
        return last;
    }

    static float probabilityOf(long packed) {
        return Float.intBitsToFloat((int) (packed >>> 32));
    }

    static int indexOf(long packed) {
        return (int) packed;
    }
}
