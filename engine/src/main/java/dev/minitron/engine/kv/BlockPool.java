package dev.minitron.engine.kv;

import java.util.Arrays;

/**
 * The KV blocks of one engine and their reference counts.
 *
 * <p>Invariant: a block is in the free list iff its reference count is 0. The free list is an
 * intrusive doubly-linked list over primitive arrays ({@code prev}/{@code next}, -1 = none), so taking
 * from the head, returning to the tail and removing from the middle are all O(1) and allocate nothing.
 * Blocks are handed out in ascending order on a fresh pool.
 */
public final class BlockPool {

    private static final int NONE = -1;

    private final int numBlocks;
    private final int[] refCount; // [numBlocks]
    private final int[] prev;     // [numBlocks] free-list links
    private final int[] next;     // [numBlocks]
    private int head = NONE;
    private int tail = NONE;
    private int numFree;

    public BlockPool(int numBlocks) {
        if (numBlocks <= 0) {
            throw new IllegalArgumentException("numBlocks must be positive, was " + numBlocks);
        }
        this.numBlocks = numBlocks;
        this.refCount = new int[numBlocks];
        this.prev = new int[numBlocks];
        this.next = new int[numBlocks];
        Arrays.fill(prev, NONE);
        Arrays.fill(next, NONE);
        for (int b = 0; b < numBlocks; b++) {
            pushTail(b);
        }
    }

    public int numBlocks() {
        return numBlocks;
    }

    public int numFreeBlocks() {
        return numFree;
    }

    /** Fraction of blocks in use, 0..1. */
    public double usage() {
        return 1.0 - (double) numFree / numBlocks;
    }

    public int refCount(int block) {
        return refCount[block];
    }

    /** Takes a free block (reference count 1), or returns -1 when none is left. */
    public int allocate() {
        int b = head;
        if (b == NONE) {
            return NONE;
        }
        unlink(b);
        refCount[b] = 1;
        return b;
    }

    /** Drops one reference; the block returns to the free list when none are left. */
    public void free(int block) {
        if (refCount[block] <= 0) {
            throw new IllegalStateException("block " + block + " freed more often than taken");
        }
        if (--refCount[block] == 0) {
            pushTail(block);
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
