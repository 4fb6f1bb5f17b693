package dev.minitron.engine;

/**
 * A snapshot of the engine for health checks and metrics; read from any thread.
 *
 * @param heartbeatNanos      {@link System#nanoTime()} of the engine loop's last turn
 * @param numScheduledTokens  tokens the model computed (prefill chunks and decodes; cached ones not)
 * @param prefixCacheQueries  prompt tokens looked up in the prefix cache at admission
 * @param prefixCacheHits     of those, tokens served from the cache
 * @param watchdogFailures    requests failed because the scheduler stalled (always 0 unless a bug)
 */
public record EngineStats(
        int numRunning,
        int numWaiting,
        int numQueued,
        int numKvBlocks,
        int numFreeKvBlocks,
        long numSteps,
        long promptTokens,
        long generationTokens,
        long numPreemptions,
        long heartbeatNanos,
        boolean alive,
        long numScheduledTokens,
        long prefixCacheQueries,
        long prefixCacheHits,
        long watchdogFailures) {

    /** Fraction of looked-up prompt tokens served from the prefix cache, 0..1. */
    public double prefixCacheHitRate() {
        return prefixCacheQueries == 0 ? 0 : (double) prefixCacheHits / prefixCacheQueries;
    }

    public double kvCacheUsage() {
        return numKvBlocks == 0 ? 0 : 1.0 - (double) numFreeKvBlocks / numKvBlocks;
    }
}
