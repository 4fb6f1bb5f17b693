package dev.minitron.engine.kv;

import java.util.Arrays;

/**
 * Block hash → block id for the prefix cache: open addressing with linear probing over two
 * primitive arrays, deletion by backward shift (no tombstones), so lookups stay O(1) with no boxing
 * on the engine thread. It never holds more entries than there are blocks, so it never resizes.
 */
final class BlockHashMap {

    static final int NONE = -1;

    private final long[] keys;
    private final int[] values;   // NONE = empty slot
    private final int mask;
    private int size;

    BlockHashMap(int maxEntries) {
        int capacity = Integer.highestOneBit(Math.max(2, maxEntries) * 2 - 1) << 1;   // ≥ 2 × entries, a power of two
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(values, NONE);
        mask = capacity - 1;
    }

    int size() {
        return size;
    }

    int get(long key) {
        for (int i = index(key); ; i = (i + 1) & mask) {
            if (values[i] == NONE) {
                return NONE;
            }
            if (keys[i] == key) {
                return values[i];
            }
        }
    }

    /** Maps {@code key} to {@code value}; returns the value it replaced, or NONE. */
    int put(long key, int value) {
        int i = index(key);
        while (values[i] != NONE) {
            if (keys[i] == key) {
                int old = values[i];
                values[i] = value;
                return old;
            }
            i = (i + 1) & mask;
        }
        if (size == values.length - 1) {
            throw new IllegalStateException("block hash map full");   // cannot happen: one entry per block
        }
        keys[i] = key;
        values[i] = value;
        size++;
        return NONE;
    }

    /** Removes {@code key} if it maps to {@code value}. */
    boolean remove(long key, int value) {
        int i = index(key);
        while (values[i] != NONE) {
            if (keys[i] == key) {
                if (values[i] != value) {
                    return false;
                }
                shiftBack(i);
                size--;
                return true;
            }
            i = (i + 1) & mask;
        }
        return false;
    }

    /** Backward-shift deletion: pulls later entries of the probe run into the hole. */
    private void shiftBack(int hole) {
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (values[i] == NONE) {
                break;
            }
            int home = index(keys[i]);
            // Move entry i into the hole unless its home lies cyclically in (hole, i].
            boolean stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
            if (!stays) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        values[hole] = NONE;
    }

    private int index(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
