package dev.minitron.engine;

import dev.minitron.engine.backend.Backend;

/**
 * How many KV blocks an engine gets: what the memory left for KV buys, but never more than can be
 * used. On the CPU backend the KV budget is configured directly ({@code kvCacheBytes}); on a GPU it is
 * what vLLM calls the memory left after profiling: {@code gpuMemoryUtilization × total − weights −
 * activation peak} ({@link #deviceKvBytes}).
 */
public final class KvSizing {

    private KvSizing() {
    }

    /**
     * Bytes of K and V one token of context takes across all layers: 2 × layers × kvHeads × headDim
     * × bytes per element. Minitron-8B in bf16: 2 × 32 × 8 × 128 × 2 = 131072 (model-spec.md,
     * "Physical limits").
     */
    public static long kvBytesPerToken(int numLayers, int numKvHeads, int headDim, int bytesPerElement) {
        return 2L * numLayers * numKvHeads * headDim * bytesPerElement;
    }

    /**
     * The KV budget on a device: the engine's share of its memory minus the weights and the
     * activation peak of the largest step. The CUDA backend does not run a profiling forward: it
     * allocates its step buffers for {@code maxNumBatchedTokens} (every activation of a step lives in
     * them) and reads the device's free memory; CUDA graphs, the sampler's small buffers and the
     * context's own growth come out of the {@code 1 − gpuMemoryUtilization} headroom. Fails with a
     * clear message when nothing is left.
     */
    public static long deviceKvBytes(long totalDeviceBytes, double gpuMemoryUtilization, long weightBytes,
                                     long activationPeakBytes) {
        long usable = (long) (totalDeviceBytes * gpuMemoryUtilization);
        long left = usable - weightBytes - activationPeakBytes;
        if (left <= 0) {
            throw new IllegalArgumentException("no memory left for the KV cache: " + fmt(usable)
                    + " usable (gpuMemoryUtilization " + gpuMemoryUtilization + " of " + fmt(totalDeviceBytes)
                    + ") minus " + fmt(weightBytes) + " of weights and " + fmt(activationPeakBytes)
                    + " of activations; raise gpuMemoryUtilization or lower maxNumBatchedTokens");
        }
        return left;
    }

    /** Blocks the budget buys, capped at {@code maxNumSeqs} sequences of {@code maxModelLen} tokens. */
    public static int numBlocks(long kvBytes, long bytesPerBlock, int blockSize, int maxNumSeqs, int maxModelLen) {
        long affordable = kvBytes / bytesPerBlock;
        long blocksPerSeq = (maxModelLen + blockSize - 1) / blockSize;
        long useful = blocksPerSeq * maxNumSeqs;
        long blocks = Math.min(affordable, useful);
        if (blocks < 1) {
            throw new IllegalArgumentException("KV budget of " + kvBytes + " bytes is less than one block ("
                    + bytesPerBlock + " bytes)");
        }
        return (int) Math.min(blocks, Integer.MAX_VALUE);
    }

    static int numBlocks(Backend backend, EngineConfig config, int maxModelLen) {
        long budget = backend.deviceKvBytes(config.gpuMemoryUtilization(), config.maxNumBatchedTokens(),
                config.maxNumSeqs()).orElse(config.kvCacheBytes());
        return numBlocks(budget, backend.kvBytesPerBlock(config.blockSize()), config.blockSize(),
                config.maxNumSeqs(), maxModelLen);
    }

    private static String fmt(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
