package dev.minitron.engine.kv;

import java.util.Arrays;

/**
 * The only KV type the scheduler sees: it admits a sequence over its cached prefix, grows a
 * sequence's block table to hold the tokens a step will compute, registers blocks that became full
 * in the prefix cache, maps positions to slots, and frees a sequence's blocks. Allocation is all or
 * nothing, so a failed call leaves everything as it was.
 */
public final class KvCacheManager {

    private final BlockPool pool;
    private final int blockSize;
    private final boolean enablePrefixCaching;
    private int[] hitBlocks = new int[16];    // scratch of allocateWithPrefix
    private long[] hitHashes = new long[16];
    private long prefixCacheQueries;
    private long prefixCacheHits;

    public KvCacheManager(int numBlocks, int blockSize) {
        this(numBlocks, blockSize, true);
    }

    public KvCacheManager(int numBlocks, int blockSize, boolean enablePrefixCaching) {
        this.pool = new BlockPool(numBlocks, blockSize);
        this.blockSize = blockSize;
        this.enablePrefixCaching = enablePrefixCaching;
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

    public boolean prefixCachingEnabled() {
        return enablePrefixCaching;
    }

    /** Prompt tokens looked up in the prefix cache by admitted sequences. */
    public long prefixCacheQueries() {
        return prefixCacheQueries;
    }

    /** Of those, tokens found cached (not computed again). */
    public long prefixCacheHits() {
        return prefixCacheHits;
    }

    /** The pool itself, for invariant checks in tests. */
    public BlockPool pool() {
        return pool;
    }

    public int blocksFor(int numTokens) {
        return (numTokens + blockSize - 1) / blockSize;
    }

    /**
     * Admits a sequence that holds no blocks: takes the longest cached prefix of its tokens (whole
     * blocks, never the last token, which must be computed to get logits) and makes room for up to
     * {@code maxNewTokens} more. Returns how many tokens were cached, or -1, changing nothing, when
     * the pool cannot supply the blocks.
     */
    public int allocateWithPrefix(BlockTable table, int[] tokens, int numTokens, long extraKey, int maxNewTokens) {
        if (table.size() != 0) {
            throw new IllegalStateException("allocateWithPrefix needs an empty block table");
        }
        int hits = 0;
        int freeHits = 0;
        if (enablePrefixCaching) {
            int maxHits = (numTokens - 1) / blockSize;
            long parentHash = BlockHasher.ROOT;
            int parentBlock = BlockPool.NONE;
            for (int i = 0; i < maxHits; i++) {
                long h = BlockHasher.hash(parentHash, extraKey, tokens, i * blockSize, blockSize);
                int b = pool.lookup(h, extraKey, tokens, i * blockSize, parentBlock);
                if (b == BlockPool.NONE) {
                    break;
                }
                if (hits == hitBlocks.length) {
                    hitBlocks = Arrays.copyOf(hitBlocks, hits * 2);
                    hitHashes = Arrays.copyOf(hitHashes, hits * 2);
                }
                hitBlocks[hits] = b;
                hitHashes[hits++] = h;
                if (pool.refCount(b) == 0) {
                    freeHits++;
                }
                parentHash = h;
                parentBlock = b;
            }
        }
        int numCached = hits * blockSize;
        int total = numCached + Math.min(numTokens - numCached, maxNewTokens);
        int needed = blocksFor(total) - hits;
        if (needed + freeHits > pool.numFreeBlocks()) {
            return -1;
        }
        for (int i = 0; i < hits; i++) {   // before allocating, which could evict a free hit
            pool.touch(hitBlocks[i]);
            table.add(hitBlocks[i]);
            table.addHash(hitHashes[i]);
        }
        for (int i = 0; i < needed; i++) {
            table.add(pool.allocate());
        }
        if (enablePrefixCaching) {
            prefixCacheQueries += numTokens;
            prefixCacheHits += numCached;
        }
        return numCached;
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

    /**
     * Registers the sequence's blocks that are full and computed in the prefix cache. Called after
     * the model wrote their KV, so a failed step never caches garbage. A block is registered only
     * under a registered parent, so every cached block stays reachable from a first block.
     */
    public void cacheFullBlocks(BlockTable table, int[] tokens, int numComputedTokens, long extraKey) {
        if (!enablePrefixCaching) {
            return;
        }
        int full = Math.min(numComputedTokens / blockSize, table.size());
        for (int i = table.numHashed(); i < full; i++) {
            long parentHash = i == 0 ? BlockHasher.ROOT : table.hash(i - 1);
            long h = BlockHasher.hash(parentHash, extraKey, tokens, i * blockSize, blockSize);
            table.addHash(h);
            int b = table.get(i);
            int parentBlock = i == 0 ? BlockPool.NONE : table.get(i - 1);
            if (pool.isCached(b) && pool.blockHash(b) == h) {
                continue;   // a prefix-cache hit
            }
            if (parentBlock == BlockPool.NONE || pool.isCached(parentBlock)) {
                pool.register(b, h, extraKey, tokens, i * blockSize, parentBlock);
            }
        }
    }

    /** Returns every block of the sequence, last first, so its leading blocks are evicted last. */
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
