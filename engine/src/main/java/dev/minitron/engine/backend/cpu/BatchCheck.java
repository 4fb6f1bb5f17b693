package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.backend.ForwardBatch;

/**
 * Checks a {@link ForwardBatch} against the cache and vocabulary before any arithmetic, so a
 * scheduler bug is an exception that says what is wrong, not silently wrong logits.
 */
final class BatchCheck {

    private BatchCheck() {
    }

    /** Validates {@code b} and returns the sequence index of each token ({@code [numTokens]}). */
    static int[] seqOfToken(ForwardBatch b, PagedKvCache cache, int vocabSize) {
        int n = b.numTokens();
        int[] seqOf = new int[n];
        for (int t = 0; t < n; t++) {
            if (b.tokenIds()[t] < 0 || b.tokenIds()[t] >= vocabSize) {
                throw fail("token " + t + " has id " + b.tokenIds()[t] + ", outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        for (int s = 0; s < b.numSeqs(); s++) {
            int from = b.queryStartLoc()[s];
            int to = b.queryStartLoc()[s + 1];
            int seqLen = b.seqLens()[s];
            int[] table = b.blockTables()[s];
            if (to < from || seqLen < to - from) {
                throw fail("sequence " + s + ": " + (to - from) + " new tokens but seqLen " + seqLen);
            }
            if ((long) table.length * cache.blockSize() < seqLen) {
                throw fail("sequence " + s + ": " + table.length + " blocks of " + cache.blockSize()
                        + " cannot hold seqLen " + seqLen);
            }
            for (int i = 0; i * cache.blockSize() < seqLen; i++) {
                if (table[i] < 0 || table[i] >= cache.numBlocks()) {
                    throw fail("sequence " + s + ": block id " + table[i] + " outside the cache's " + cache.numBlocks() + " blocks");
                }
            }
            for (int t = from; t < to; t++) {
                seqOf[t] = s;
                int expected = seqLen - (to - t);
                if (b.positions()[t] != expected) {
                    throw fail("sequence " + s + ": token " + t + " has position " + b.positions()[t] + ", expected "
                            + expected + " (new tokens sit at the end of the context of length " + seqLen + ")");
                }
                if (b.slotMapping()[t] != cache.slot(table, expected)) {
                    throw fail("sequence " + s + ": token " + t + " maps to slot " + b.slotMapping()[t]
                            + " but its block table puts position " + expected + " at slot " + cache.slot(table, expected));
                }
            }
        }
        for (int row : b.logitsIndices()) {
            if (row < 0 || row >= n) {
                throw fail("logits index " + row + " outside [0, " + n + ")");
            }
        }
        return seqOf;
    }

    private static IllegalArgumentException fail(String problem) {
        return new IllegalArgumentException("ForwardBatch: " + problem);
    }
}
