package dev.minitron.engine.kv;

import java.util.Arrays;

/** The KV blocks of one sequence, in order: token at position p lives in block {@code get(p / blockSize)}. */
public final class BlockTable {

    private int[] blocks = new int[4];
    private int size;

    public int size() {
        return size;
    }

    public int get(int i) {
        return blocks[i];
    }

    void add(int block) {
        if (size == blocks.length) {
            blocks = Arrays.copyOf(blocks, size * 2);
        }
        blocks[size++] = block;
    }

    void clear() {
        size = 0;
    }

    /** A copy of the first {@code n} block ids, for a forward batch. */
    public int[] toArray(int n) {
        return Arrays.copyOf(blocks, Math.min(n, size));
    }
}
