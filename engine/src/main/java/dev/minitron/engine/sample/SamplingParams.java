package dev.minitron.engine.sample;

import dev.minitron.engine.structured.TokenGrammar;
import java.util.List;

/**
 * How one request picks its tokens and when it stops; vLLM's {@code SamplingParams} in camelCase.
 * Validated here, so the engine never sees an out-of-range value.
 *
 * @param temperature       0 means greedy
 * @param topK              0 or -1 means off
 * @param topP              1 means off
 * @param minP              0 means off
 * @param seed              null means unseeded; a seeded request draws from its own generator, so its
 *                          tokens never depend on its batch neighbours
 * @param logprobs          null: none; n ≥ 0: the chosen token's logprob and the top n
 * @param grammar           null: unconstrained; else the compiled structured output every token
 *                          must keep to (vLLM's {@code structured_outputs}, compiled at admission)
 */
public record SamplingParams(
        int maxTokens,
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Long seed,
        List<String> stop,
        int[] stopTokenIds,
        boolean ignoreEos,
        Integer logprobs,
        TokenGrammar grammar) {

    public static final int MAX_LOGPROBS = 20;
    public static final int MAX_STOP_LENGTH = 256;
    /** Below this temperature sampling is greedy, as in vLLM: dividing by it would overflow. */
    public static final double GREEDY_EPSILON = 1e-5;

    public SamplingParams {
        require(maxTokens >= 1, "max_tokens must be ≥ 1, was " + maxTokens);
        require(temperature >= 0 && Double.isFinite(temperature), "temperature must be ≥ 0, was " + temperature);
        require(topK >= -1, "top_k must be -1, 0 or ≥ 1, was " + topK);
        require(topP > 0 && topP <= 1, "top_p must be in (0, 1], was " + topP);
        require(minP >= 0 && minP <= 1, "min_p must be in [0, 1], was " + minP);
        require(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty),
                "repetition_penalty must be > 0, was " + repetitionPenalty);
        require(Math.abs(presencePenalty) <= 2, "presence_penalty must be in [-2, 2], was " + presencePenalty);
        require(Math.abs(frequencyPenalty) <= 2, "frequency_penalty must be in [-2, 2], was " + frequencyPenalty);
        require(logprobs == null || (logprobs >= 0 && logprobs <= MAX_LOGPROBS),
                "logprobs must be in [0, " + MAX_LOGPROBS + "], was " + logprobs);
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) {
            require(!s.isEmpty() && s.length() <= MAX_STOP_LENGTH,
                    "stop strings must have 1 to " + MAX_STOP_LENGTH + " characters");
        }
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
        // The grammar alone decides where a structured output ends: a stop string could cut it short,
        // ignore_eos would run past its end.
        require(grammar == null || stop.isEmpty(), "stop: cannot be combined with structured outputs");
        require(grammar == null || !ignoreEos, "ignore_eos: cannot be combined with structured outputs");
    }

    /** Greedy decoding of up to {@code maxTokens} tokens. */
    public static SamplingParams greedy(int maxTokens) {
        return builder().maxTokens(maxTokens).temperature(0).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isGreedy() {
        return temperature < GREEDY_EPSILON;
    }

    public boolean hasPenalties() {
        return repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Defaults follow vLLM: temperature 1, no top-k/top-p/min-p, no penalties, 16 tokens. */
    public static final class Builder {
        private int maxTokens = 16;
        private double temperature = 1.0;
        private int topK = 0;
        private double topP = 1.0;
        private double minP = 0;
        private double repetitionPenalty = 1.0;
        private double presencePenalty;
        private double frequencyPenalty;
        private Long seed;
        private List<String> stop = List.of();
        private int[] stopTokenIds = new int[0];
        private boolean ignoreEos;
        private Integer logprobs;
        private TokenGrammar grammar;

        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder temperature(double v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(double v) { topP = v; return this; }
        public Builder minP(double v) { minP = v; return this; }
        public Builder repetitionPenalty(double v) { repetitionPenalty = v; return this; }
        public Builder presencePenalty(double v) { presencePenalty = v; return this; }
        public Builder frequencyPenalty(double v) { frequencyPenalty = v; return this; }
        public Builder seed(Long v) { seed = v; return this; }
        public Builder stop(List<String> v) { stop = v; return this; }
        public Builder stopTokenIds(int[] v) { stopTokenIds = v; return this; }
        public Builder ignoreEos(boolean v) { ignoreEos = v; return this; }
        public Builder logprobs(Integer v) { logprobs = v; return this; }
        public Builder grammar(TokenGrammar v) { grammar = v; return this; }

        public SamplingParams build() {
            return new SamplingParams(maxTokens, temperature, topK, topP, minP, repetitionPenalty,
                    presencePenalty, frequencyPenalty, seed, stop, stopTokenIds, ignoreEos, logprobs, grammar);
        }
    }
}
