package dev.minitron.engine.kv;

import java.util.Arrays;

/**
 * The KV blocks of one engine, their reference counts and the prefix cache over them.
 *
 * <p>Invariant: a block is in the free list iff its reference count is 0. The free list is an
 * intrusive doubly-linked list over primitive arrays ({@code prev}/{@code next}, -1 = none), so taking
 * from the head, returning to either end and removing from the middle are all O(1) and allocate
 * nothing. Blocks are handed out in ascending order on a fresh pool.
 *
 * <p>Prefix cache (vLLM's automatic prefix caching, docs.vllm.ai "Automatic Prefix Caching" design
 * page, in spirit; unlike vLLM, hits are verified rather than trusted to a strong hash): a full, computed block may be
 * <em>registered</em> under the chained hash of its content. It keeps that identity after its last
 * reference goes: freed cached blocks join the free list's tail, plain ones its head, so allocation
 * takes useless blocks first and then evicts cached ones least recently used first. A hit on a free
 * cached block takes it off the free list ({@link #touch}). A hit is never trusted on the hash alone:
 * {@link #lookup} compares the block's stored tokens, extra key and parent (block id and generation)
 * with what the caller expects, so a hash collision costs a miss, never wrong KV. Block
 * generations count reallocations: a child's recorded parent generation proves the parent still
 * holds the KV the child was computed against.
 */
public final class BlockPool {

    public static final int NONE = -1;

    private final int numBlocks;
    private final int blockSize;
    private final int[] refCount; // [numBlocks]
    private final int[] prev;     // [numBlocks] free-list links
    private final int[] next;     // [numBlocks]
    private int head = NONE;
    private int tail = NONE;
    private int numFree;

    // Prefix cache, all [numBlocks] except tokens [numBlocks * blockSize].
    private final BlockHashMap index;
    private final boolean[] cached;
    private final long[] hash;
    private final long[] extraKey;
    private final int[] parent;
    private final int[] parentGeneration;
    private final int[] generation;
    private final int[] tokens;

    public BlockPool(int numBlocks, int blockSize) {
        if (numBlocks <= 0) {
            throw new IllegalArgumentException("numBlocks must be positive, was " + numBlocks);
        }
        if (blockSize <= 0) {
            throw new IllegalArgumentException("blockSize must be positive, was " + blockSize);
        }
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.refCount = new int[numBlocks];
        this.prev = new int[numBlocks];
        this.next = new int[numBlocks];
        this.index = new BlockHashMap(numBlocks);
        this.cached = new boolean[numBlocks];
        this.hash = new long[numBlocks];
        this.extraKey = new long[numBlocks];
        this.parent = new int[numBlocks];
        this.parentGeneration = new int[numBlocks];
        this.generation = new int[numBlocks];
        this.tokens = new int[Math.multiplyExact(numBlocks, blockSize)];
        Arrays.fill(prev, NONE);
        Arrays.fill(next, NONE);
        for (int b = 0; b < numBlocks; b++) {
            pushTail(b);
        }
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int blockSize() {
        return blockSize;
    }

    /** Blocks with no reference, cached ones included (they are evictable). */
    public int numFreeBlocks() {
        return numFree;
    }

    /** Blocks registered in the prefix cache, in use or free. */
    public int numCachedBlocks() {
        return index.size();
    }

    /** Fraction of blocks in use, 0..1. */
    public double usage() {
        return 1.0 - (double) numFree / numBlocks;
    }

    public int refCount(int block) {
        return refCount[block];
    }

    public boolean isCached(int block) {
        return cached[block];
    }

    public long blockHash(int block) {
        return hash[block];
    }

    /**
     * Takes a free block (reference count 1) for new content, evicting its cached identity if it
     * had one, or returns -1 when none is left.
     */
    public int allocate() {
        int b = head;
        if (b == NONE) {
            return NONE;
        }
        unlink(b);
        if (cached[b]) {
            index.remove(hash[b], b);
            cached[b] = false;
        }
        generation[b]++;
        refCount[b] = 1;
        return b;
    }

    /** Takes one more reference on a block found by {@link #lookup}, free or not. */
    public void touch(int block) {
        if (refCount[block] == 0) {
            unlink(block);
        }
        refCount[block]++;
    }

    /** Drops one reference; the block returns to the free list when none are left. */
    public void free(int block) {
        if (refCount[block] <= 0) {
            throw new IllegalStateException("block " + block + " freed more often than taken");
        }
        if (--refCount[block] == 0) {
            if (cached[block]) {
                pushTail(block);
            } else {
                pushHead(block);
            }
        }
    }

    /**
     * The cached block holding exactly this content, or -1.
     *
     * @param blockHash     chained hash of the block ({@link BlockHasher})
     * @param key           extra key (LoRA, multimodal inputs; 0 = none) folded into the hash
     * @param src           tokens; the block's are {@code src[from, from + blockSize)}
     * @param parentBlock   the block this one must follow (the previous hit), or -1 for the first
     */
    public int lookup(long blockHash, long key, int[] src, int from, int parentBlock) {
        int b = index.get(blockHash);
        if (b == NONE || extraKey[b] != key || parent[b] != parentBlock
                || (parentBlock != NONE && parentGeneration[b] != generation[parentBlock])) {
            return NONE;
        }
        return Arrays.equals(tokens, b * blockSize, (b + 1) * blockSize, src, from, from + blockSize) ? b : NONE;
    }

    /**
     * Registers a full, computed block in use under its hash. A block already registered under the
     * same hash (the same prefix computed twice at once, or a stale entry) loses its cached identity
     * but keeps its KV for whoever holds it.
     */
    public void register(int block, long blockHash, long key, int[] src, int from, int parentBlock) {
        if (refCount[block] <= 0) {
            throw new IllegalStateException("only a block in use can be registered: " + block);
        }
        if (cached[block]) {
            if (hash[block] == blockHash) {
                return;
            }
            index.remove(hash[block], block);
        }
        int replaced = index.put(blockHash, block);
        if (replaced != NONE && replaced != block) {
            cached[replaced] = false;
            if (refCount[replaced] == 0) {   // a useless free block now: evict it first
                unlink(replaced);
                pushHead(replaced);
            }
        }
        cached[block] = true;
        hash[block] = blockHash;
        extraKey[block] = key;
        parent[block] = parentBlock;
        parentGeneration[block] = parentBlock == NONE ? 0 : generation[parentBlock];
        System.arraycopy(src, from, tokens, block * blockSize, blockSize);
    }

    /**
     * Checks every invariant and throws {@link IllegalStateException} naming the first broken one
     * (tests and debugging; O(numBlocks)).
     */
    public void checkConsistency() {
        int count = 0;
        int last = NONE;
        boolean[] inList = new boolean[numBlocks];
        for (int b = head; b != NONE; b = next[b]) {
            if (inList[b] || prev[b] != last || ++count > numBlocks) {
                throw new IllegalStateException("free list is corrupt at block " + b);
            }
            inList[b] = true;
            last = b;
        }
        if (last != tail || count != numFree) {
            throw new IllegalStateException("free list holds " + count + " blocks, numFree says " + numFree);
        }
        int numCached = 0;
        for (int b = 0; b < numBlocks; b++) {
            if (refCount[b] < 0 || inList[b] != (refCount[b] == 0)) {
                throw new IllegalStateException("block " + b + " has refCount " + refCount[b]
                        + (inList[b] ? " but is free" : " but is not free"));
            }
            if (cached[b]) {
                numCached++;
                if (index.get(hash[b]) != b) {
                    throw new IllegalStateException("cached block " + b + " is not indexed under its hash");
                }
            }
        }
        if (numCached != index.size()) {
            throw new IllegalStateException(index.size() + " hashes indexed but " + numCached + " blocks cached");
        }
    }

    private void pushTail(int b) {
        prev[b] = tail;
        next[b] = NONE;
        if (tail == NONE) {
            head = b;
        } else {
            next[tail] = b;
        }
        tail = b;
        numFree++;
    }

    private void pushHead(int b) {
        next[b] = head;
        prev[b] = NONE;
        if (head == NONE) {
            tail = b;
        } else {
            prev[head] = b;
        }
        head = b;
        numFree++;
    }

    private void unlink(int b) {
        if (prev[b] == NONE) {
            head = next[b];
        } else {
            next[prev[b]] = next[b];
        }
        if (next[b] == NONE) {
            tail = prev[b];
        } else {
            prev[next[b]] = prev[b];
        }
        prev[b] = NONE;
        next[b] = NONE;
        numFree--;
    }
}
