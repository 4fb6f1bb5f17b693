package dev.minitron.engine.kv;

import java.util.Arrays;

/**
 * The KV blocks of one sequence, in order: token at position p lives in block {@code get(p / blockSize)}.
 * It also remembers the chained hashes of its leading full blocks, so each block is hashed once.
 */
public final class BlockTable {

    private int[] blocks = new int[4];
    private long[] hashes = new long[4];
    private int size;
    private int numHashed;

    public int size() {
        return size;
    }

    public int get(int i) {
        return blocks[i];
    }

    /** How many leading blocks have their hash in {@link #hash}. */
    int numHashed() {
        return numHashed;
    }

    long hash(int i) {
        return hashes[i];
    }

    void add(int block) {
        if (size == blocks.length) {
            blocks = Arrays.copyOf(blocks, size * 2);
            hashes = Arrays.copyOf(hashes, size * 2);
        }
        blocks[size++] = block;
    }

    /** Records the hash of block {@code numHashed()}. */
    void addHash(long hash) {
        hashes[numHashed++] = hash;
    }

    void clear() {
        size = 0;
        numHashed = 0;
    }

    /** A copy of the first {@code n} block ids, for a forward batch. */
    public int[] toArray(int n) {
        return Arrays.copyOf(blocks, Math.min(n, size));
    }
}
