package dev.minitron.engine.config;

/**
 * The architecture numbers of a {@code NemotronForCausalLM} checkpoint, read from its
 * {@code config.json}. Field names are Hugging Face's, in camelCase.
 */
public record ModelConfig(
        String modelType,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int vocabSize,
        int maxPositionEmbeddings,
        double normEps,
        double ropeTheta,
        double partialRotaryFactor,
        int bosTokenId,
        int eosTokenId,
        boolean tieWordEmbeddings,
        String torchDtype) {

    public ModelConfig {
        if (hiddenSize <= 0 || intermediateSize <= 0 || numHiddenLayers <= 0 || vocabSize <= 0) {
            throw new IllegalArgumentException("config.json: sizes must be positive");
        }
        if (numAttentionHeads <= 0 || numKeyValueHeads <= 0 || numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("config.json: num_attention_heads (" + numAttentionHeads
                    + ") must be a positive multiple of num_key_value_heads (" + numKeyValueHeads + ")");
        }
        if (headDim <= 0 || partialRotaryFactor <= 0 || partialRotaryFactor > 1) {
            throw new IllegalArgumentException("config.json: head_dim and partial_rotary_factor out of range");
        }
        if (rotaryDim(headDim, partialRotaryFactor) % 2 != 0) {
            throw new IllegalArgumentException("config.json: rotary width must be even");
        }
    }

    /** Rotary dims per head: the first {@code headDim * partialRotaryFactor} dims (64 of 128 on Minitron). */
    public int rotaryDim() {
        return rotaryDim(headDim, partialRotaryFactor);
    }

    /** Query heads that share one KV head (6 on Minitron-8B). */
    public int queriesPerKvHead() {
        return numAttentionHeads / numKeyValueHeads;
    }

    public int qSize() {
        return numAttentionHeads * headDim;
    }

    public int kvSize() {
        return numKeyValueHeads * headDim;
    }

    private static int rotaryDim(int headDim, double factor) {
        return (int) (headDim * factor);
    }
}
