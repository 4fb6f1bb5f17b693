package dev.minitron.engine.sample;

import java.util.HashMap;
import java.util.Map;

/**
 * vLLM's penalties: repetition (CTRL-style, over prompt and output: positive logits divided,
 * negative multiplied), presence and frequency (OpenAI-style, over the output only).
 */
final class Penalties {

    private Penalties() {
    }

    static void apply(float[] logits, SamplingParams params, int[] history, int numPromptTokens, int length) {
        if (params.repetitionPenalty() != 1) {
            float p = (float) params.repetitionPenalty();
            boolean[] seen = new boolean[logits.length];
            for (int i = 0; i < length; i++) {
                int t = history[i];
                if (t >= 0 && t < logits.length && !seen[t]) {
                    seen[t] = true;
                    logits[t] = logits[t] > 0 ? logits[t] / p : logits[t] * p;
                }
            }
        }
        if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
            Map<Integer, Integer> counts = new HashMap<>();
            for (int i = numPromptTokens; i < length; i++) {
                counts.merge(history[i], 1, Integer::sum);
            }
            counts.forEach((token, count) -> {
                if (token >= 0 && token < logits.length) {
                    logits[token] -= (float) (params.frequencyPenalty() * count + params.presencePenalty());
                }
            });
        }
    }
}
