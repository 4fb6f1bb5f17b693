package dev.minitron.engine;

/**
 * Engine limits, vLLM's names in camelCase.
 *
 * @param maxNumSeqs           sequences running at once
 * @param maxNumBatchedTokens  tokens computed per step (prefill chunks plus decodes)
 * @param maxModelLen          prompt plus output tokens per sequence; 0: the model's
 *                             {@code max_position_embeddings}
 * @param blockSize            tokens per KV block
 * @param kvCacheBytes         KV memory budget (CPU backend); the pool gets as many blocks as fit, capped
 *                             at what {@code maxNumSeqs} full-length sequences could ever use
 * @param maxQueuedRequests    requests handed in but not yet taken by the engine thread
 * @param enablePrefixCaching  share the KV of identical prompt prefixes between requests
 * @param starvationSteps      steps a request may wait in a row before it outranks every priority
 * @param gpuMemoryUtilization fraction of device memory the engine may use (weights, activations and
 *                             KV) on a GPU backend; see {@link KvSizing#deviceKvBytes}
 */
public record EngineConfig(
        int maxNumSeqs,
        int maxNumBatchedTokens,
        int maxModelLen,
        int blockSize,
        long kvCacheBytes,
        int maxQueuedRequests,
        boolean enablePrefixCaching,
        int starvationSteps,
        double gpuMemoryUtilization) {

    public static final int DEFAULT_STARVATION_STEPS = 512;
    public static final double DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

    public EngineConfig {
        if (maxNumSeqs < 1 || maxNumBatchedTokens < 1 || maxModelLen < 0 || blockSize < 1
                || kvCacheBytes < 1 || maxQueuedRequests < 1 || starvationSteps < 1) {
            throw new IllegalArgumentException("engine limits must be positive: " + maxNumSeqs + ", "
                    + maxNumBatchedTokens + ", " + maxModelLen + ", " + blockSize + ", " + kvCacheBytes
                    + ", " + maxQueuedRequests + ", " + starvationSteps);
        }
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new IllegalArgumentException("gpuMemoryUtilization must be in (0, 1], was " + gpuMemoryUtilization);
        }
    }

    /** The limits the worker sets; prefix caching on, the rest default. */
    public EngineConfig(int maxNumSeqs, int maxNumBatchedTokens, int maxModelLen, int blockSize, long kvCacheBytes,
                        int maxQueuedRequests) {
        this(maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize, kvCacheBytes, maxQueuedRequests, true,
                DEFAULT_STARVATION_STEPS, DEFAULT_GPU_MEMORY_UTILIZATION);
    }

    public static EngineConfig defaults() {
        return new EngineConfig(64, 512, 0, 16, 256L << 20, 1024);
    }

    public EngineConfig withMaxNumSeqs(int v) {
        return new EngineConfig(v, maxNumBatchedTokens, maxModelLen, blockSize, kvCacheBytes, maxQueuedRequests,
                enablePrefixCaching, starvationSteps, gpuMemoryUtilization);
    }

    public EngineConfig withMaxNumBatchedTokens(int v) {
        return new EngineConfig(maxNumSeqs, v, maxModelLen, blockSize, kvCacheBytes, maxQueuedRequests,
                enablePrefixCaching, starvationSteps, gpuMemoryUtilization);
    }

    public EngineConfig withMaxModelLen(int v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, v, blockSize, kvCacheBytes, maxQueuedRequests,
                enablePrefixCaching, starvationSteps, gpuMemoryUtilization);
    }

    public EngineConfig withKvCacheBytes(long v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize, v, maxQueuedRequests,
                enablePrefixCaching, starvationSteps, gpuMemoryUtilization);
    }

    public EngineConfig withBlockSize(int v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, v, kvCacheBytes, maxQueuedRequests,
                enablePrefixCaching, starvationSteps, gpuMemoryUtilization);
    }

    public EngineConfig withEnablePrefixCaching(boolean v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize, kvCacheBytes,
                maxQueuedRequests, v, starvationSteps, gpuMemoryUtilization);
    }

    public EngineConfig withStarvationSteps(int v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize, kvCacheBytes,
                maxQueuedRequests, enablePrefixCaching, v, gpuMemoryUtilization);
    }

    public EngineConfig withGpuMemoryUtilization(double v) {
        return new EngineConfig(maxNumSeqs, maxNumBatchedTokens, maxModelLen, blockSize, kvCacheBytes,
                maxQueuedRequests, enablePrefixCaching, starvationSteps, v);
    }
}
