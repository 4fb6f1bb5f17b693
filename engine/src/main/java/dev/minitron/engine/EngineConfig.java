package dev.minitron.engine;

/**
 * Engine limits, vLLM's names in camelCase.
 *
 * @param maxNumSeqs          sequences running at once
 * @param maxNumBatchedTokens tokens computed per step (prefill chunks plus decodes)
 * @param maxModelLen         prompt plus output tokens per sequence; 0: the model's
 *                            {@code max_position_embeddings}
 * @param blockSize           tokens per KV block
 * @param kvCacheBytes        KV memory budget (CPU backend); the pool gets as many blocks as fit, capped
 *                            at what {@code maxNumSeqs} full-length sequences could ever use
 * @param maxQueuedRequests   requests handed in but not yet taken by the engine thread
 */
public record EngineConfig(
        int maxNumSeqs,
        int maxNumBatchedTokens,
        int maxModelLen,
        int blockSize,
        long kvCacheBytes,
        int maxQueuedRequests) {

    public EngineConfig {
        if (maxNumSeqs < 1 || maxNumBatchedTokens < 1 || maxModelLen < 0 || blockSize < 1
                || kvCacheBytes < 1 || maxQueuedRequests < 1) {
            throw new IllegalArgumentException("engine limits must be positive: " + maxNumSeqs + ", "
                    + maxNumBatchedTokens + ", " + maxModelLen + ", " + blockSize + ", " + kvCacheBytes
                    + ", " + maxQueuedRequests);
        }
    }

    public static EngineConfig defaults() {
        return new EngineConfig(64, 512, 0, 16, 256L << 20, 1024);
    }

    public EngineConfig withMaxNumSeqs(int v) {
        return new EngineConfig(v, maxNumBatchedTokens, maxModelLen, blockSize, kvCacheBytes, maxQueuedRequests);
    }

    public EngineConfig withKvCacheBytes(long v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize, v, maxQueuedRequests);
    }

    public EngineConfig withBlockSize(int v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, v, kvCacheBytes, maxQueuedRequests);
    }
}
