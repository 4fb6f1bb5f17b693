package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.ForwardBatch;
import java.nio.ByteBuffer;

/**
 * One step's batch, checked on the host before any index reaches the GPU (a bad slot or block id
 * there would corrupt another request's KV, not throw), and written into the pinned metadata
 * buffer, padded to a graph bucket when asked. Pure Java.
 */
final class StepInput {

    private final ForwardBatch batch;
    private final boolean pureDecode;
    private final int maxQueryLen;

    private StepInput(ForwardBatch batch, boolean pureDecode, int maxQueryLen) {
        this.batch = batch;
        this.pureDecode = pureDecode;
        this.maxQueryLen = maxQueryLen;
    }

    static StepInput of(ForwardBatch b, int vocab, int numBlocks, int blockSize, int maxBlocksPerSeq, int maxPositions) {
        int n = b.numTokens();
        long numSlots = (long) numBlocks * blockSize;
        for (int t = 0; t < n; t++) {
            if (b.tokenIds()[t] < 0 || b.tokenIds()[t] >= vocab) {
                throw new IllegalArgumentException("token id " + b.tokenIds()[t] + " outside [0, " + vocab + ")");
            }
            if (b.slotMapping()[t] < 0 || b.slotMapping()[t] >= numSlots) {
                throw new IllegalArgumentException("slot " + b.slotMapping()[t] + " outside [0, " + numSlots + ")");
            }
            if (b.positions()[t] < 0 || b.positions()[t] >= maxPositions) {
                throw new IllegalArgumentException("position " + b.positions()[t] + " outside [0, " + maxPositions + ")");
            }
        }
        boolean decode = b.logitsIndices().length == b.numSeqs();
        int maxQ = 0;
        for (int s = 0; s < b.numSeqs(); s++) {
            int q = b.queryStartLoc()[s + 1] - b.queryStartLoc()[s];
            int len = b.seqLens()[s];
            if (q < 0 || len < q) {
                throw new IllegalArgumentException("sequence " + s + ": " + q + " new tokens but context length " + len);
            }
            int needBlocks = (len + blockSize - 1) / blockSize;
            int[] table = b.blockTables()[s];
            if (needBlocks > table.length || needBlocks > maxBlocksPerSeq) {
                throw new IllegalArgumentException("sequence " + s + ": context " + len + " needs " + needBlocks
                        + " blocks, its table has " + table.length + " (at most " + maxBlocksPerSeq + ")");
            }
            for (int i = 0; i < needBlocks; i++) {
                if (table[i] < 0 || table[i] >= numBlocks) {
                    throw new IllegalArgumentException("block id " + table[i] + " outside [0, " + numBlocks + ")");
                }
            }
            maxQ = Math.max(maxQ, q);
            decode &= q == 1 && b.logitsIndices()[s] == s;
        }
        for (int r : b.logitsIndices()) {
            if (r < 0 || r >= n) {
                throw new IllegalArgumentException("logits row " + r + " outside [0, " + n + ")");
            }
        }
        return new StepInput(b, decode && b.numSeqs() > 0, maxQ);
    }

    /** Every sequence computes exactly one token and samples it (a decode step: graph-eligible). */
    boolean isPureDecode() {
        return pureDecode;
    }

    int maxQueryLen() {
        return maxQueryLen;
    }

    int numTokens() {
        return batch.numTokens();
    }

    int numSeqs() {
        return batch.numSeqs();
    }

    int numRows() {
        return batch.logitsIndices().length;
    }

    /**
     * Writes the metadata for a step of {@code n} tokens, {@code seqs} sequences and {@code rows}
     * logits rows (≥ the batch's: the rest is padding that writes no KV and reads nothing).
     */
    void write(ByteBuffer dst, MetaLayout l, int n, int seqs, int rows) {
        ForwardBatch b = batch;
        int realN = b.numTokens();
        int realSeqs = b.numSeqs();
        for (int t = 0; t < n; t++) {
            boolean real = t < realN;
            dst.putInt(4 * (l.tokenIds() + t), real ? b.tokenIds()[t] : -1);
            dst.putInt(4 * (l.positions() + t), real ? b.positions()[t] : 0);
            dst.putInt(4 * (l.slotMapping() + t), real ? b.slotMapping()[t] : -1);
        }
        for (int s = 0; s <= seqs; s++) {
            dst.putInt(4 * (l.queryStartLoc() + s), s <= realSeqs ? b.queryStartLoc()[s] : realN + (s - realSeqs));
        }
        int mbps = l.blockTableStride();
        for (int s = 0; s < seqs; s++) {
            boolean real = s < realSeqs;
            dst.putInt(4 * (l.seqLens() + s), real ? b.seqLens()[s] : 0);
            if (real) {
                int[] table = b.blockTables()[s];
                int base = l.blockTables() + s * mbps;
                int len = Math.min(table.length, mbps);
                for (int i = 0; i < len; i++) {
                    dst.putInt(4 * (base + i), table[i]);
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            dst.putInt(4 * (l.logitsIndices() + r), r < b.logitsIndices().length ? b.logitsIndices()[r] : Math.min(r, n - 1));
        }
    }
}
