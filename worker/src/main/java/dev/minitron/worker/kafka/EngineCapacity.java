package dev.minitron.worker.kafka;

import dev.minitron.engine.EngineStats;

/**
 * Whether the engine can hold one more prompt now, beyond the plain {@code max-in-flight} count:
 * prompts handed over but not yet started (no output yet) are the engine's waiting queue, and their
 * KV blocks must fit in the pool's free blocks. What does not fit stays in Kafka, so a backlog of
 * any size costs the worker no memory. The engine's own stats lag one step, so the worker counts its
 * not-yet-started prompts itself; a prompt already in prefill is counted both as using blocks and as
 * reserving them, which errs on the side of admitting less.
 *
 * @param maxWaiting prompts handed to the engine and not yet started, at most
 * @param blockSize  tokens per KV block
 */
public record EngineCapacity(int maxWaiting, int blockSize) {

    public EngineCapacity {
        if (maxWaiting < 1 || blockSize < 1) {
            throw new IllegalArgumentException("maxWaiting and blockSize must be positive");
        }
    }

    /** KV blocks a prompt of this many tokens needs to start (its prompt and the first output token). */
    public int blocksFor(int promptTokens) {
        return (promptTokens + blockSize) / blockSize;
    }

    /**
     * @param notStarted     prompts handed over without output yet
     * @param reservedBlocks their {@link #blocksFor} summed
     * @param needBlocks     the candidate's {@link #blocksFor}
     */
    public boolean admits(EngineStats stats, int notStarted, long reservedBlocks, int needBlocks) {
        if (notStarted == 0) {
            return true;   // always one: progress, and an over-long prompt gets its answer from the engine
        }
        if (notStarted >= maxWaiting) {
            return false;
        }
        return reservedBlocks + needBlocks <= stats.numFreeKvBlocks();
    }
}
