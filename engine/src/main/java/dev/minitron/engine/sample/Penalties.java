package dev.minitron.engine.sample;

/**
 * vLLM's penalties: repetition (CTRL-style, over prompt and output: positive logits divided,
 * negative multiplied), presence and frequency (OpenAI-style, over the output only).
 *
 * <p>They run once per sampled token, so they allocate nothing: the "seen" marks and the counts live
 * in a per-thread scratch that is reused. Marks are stamped with a fresh epoch each call (no clearing
 * of a vocabulary-sized array); counts are reset for exactly the tokens that were counted. The cost
 * is proportional to the sequence's length, not the vocabulary's.
 */
final class Penalties {

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Penalties() {
    }

    static void apply(float[] logits, SamplingParams params, int[] history, int numPromptTokens, int length) {
        Scratch s = SCRATCH.get();
        s.ensureVocab(logits.length);
        if (params.repetitionPenalty() != 1) {
            float p = (float) params.repetitionPenalty();
            int epoch = s.nextEpoch();
            for (int i = 0; i < length; i++) {
                int t = history[i];
                if (t >= 0 && t < logits.length && s.seen[t] != epoch) {
                    s.seen[t] = epoch;
                    logits[t] = logits[t] > 0 ? logits[t] / p : logits[t] * p;
                }
            }
        }
        if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
            s.ensureTouched(length - numPromptTokens);
            int touched = 0;
            for (int i = numPromptTokens; i < length; i++) {
                int t = history[i];
                if (t >= 0 && t < logits.length && s.counts[t]++ == 0) {
                    s.touched[touched++] = t;
                }
            }
            for (int j = 0; j < touched; j++) {
                int t = s.touched[j];
                logits[t] -= (float) (params.frequencyPenalty() * s.counts[t] + params.presencePenalty());
                s.counts[t] = 0;
            }
        }
    }

    /** One thread's reusable penalty state. Between calls every count is zero. */
    private static final class Scratch {
        int[] seen = new int[0];   // [vocab] the epoch in which each token was last penalised
        int[] counts = new int[0]; // [vocab] occurrences in the output, during one call only
        int[] touched = new int[0];
        int epoch;

        void ensureVocab(int vocab) {
            if (seen.length < vocab) {
                seen = new int[vocab];
                counts = new int[vocab];
                epoch = 0;
            }
        }

        void ensureTouched(int n) {
            if (touched.length < n) {
                touched = new int[Math.max(n, 2 * touched.length)];
            }
        }

        int nextEpoch() {
            if (++epoch == Integer.MAX_VALUE) {
                java.util.Arrays.fill(seen, 0);
                epoch = 1;
            }
            return epoch;
        }
    }
}
