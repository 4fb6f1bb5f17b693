package dev.minitron.engine.kv;

/**
 * The only KV type the scheduler sees: it grows a sequence's block table to hold the tokens a step
 * will compute, maps positions to slots, and frees a sequence's blocks. Allocation is all or
 * nothing, so a failed call leaves everything as it was.
 */
public final class KvCacheManager {

    private final BlockPool pool;
    private final int blockSize;

    public KvCacheManager(int numBlocks, int blockSize) {
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be positive, was " + blockSize);
        }
        this.pool = new BlockPool(numBlocks);
        this.blockSize = blockSize;
    }

    public int blockSize() {
        return blockSize;
    }

    public int numBlocks() {
        return pool.numBlocks();
    }

    public int numFreeBlocks() {
        return pool.numFreeBlocks();
    }

    public int blocksFor(int numTokens) {
        return (numTokens + blockSize - 1) / blockSize;
    }

    /**
     * Makes room for the sequence to hold {@code totalTokens} tokens of KV. Returns false, changing
     * nothing, if the pool cannot supply the blocks.
     */
    public boolean allocateSlots(BlockTable table, int totalTokens) {
        int needed = blocksFor(totalTokens) - table.size();
        if (needed <= 0) {
            return true;
        }
        if (needed > pool.numFreeBlocks()) {
            return false;
        }
        for (int i = 0; i < needed; i++) {
            table.add(pool.allocate());
        }
        return true;
    }

    /** Returns every block of the sequence, last first, so its leading blocks are reused last. */
    public void free(BlockTable table) {
        for (int i = table.size() - 1; i >= 0; i--) {
            pool.free(table.get(i));
        }
        table.clear();
    }

    /** The KV slot of the token at {@code position}: block * blockSize + offset. */
    public int slot(BlockTable table, int position) {
        return table.get(position / blockSize) * blockSize + position % blockSize;
    }

    /** Whether a sequence of this many tokens could ever fit, even with the whole pool to itself. */
    public boolean fitsInPool(int numTokens) {
        return blocksFor(numTokens) <= pool.numBlocks();
    }
}
