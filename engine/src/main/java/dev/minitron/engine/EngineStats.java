package dev.minitron.engine;

/**
 * A snapshot of the engine for health checks and metrics; read from any thread.
 *
 * @param heartbeatNanos {@link System#nanoTime()} of the engine loop's last turn
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
        boolean alive) {

    public double kvCacheUsage() {
        return numKvBlocks == 0 ? 0 : 1.0 - (double) numFreeKvBlocks / numKvBlocks;
    }
}
