package dev.minitron.engine.tokenizer;

import java.util.Arrays;

/**
 * Piece text to id, looked up by a range of a UTF-8 byte array so the encoder's inner loop never
 * allocates a string. Open addressing with linear probing over a power-of-two table.
 */
final class PieceIndex {

    static final int ABSENT = -1;

    private byte[] data = new byte[1024]; // every piece's UTF-8, back to back
    private int dataSize;
    private int[] offsets = new int[65];  // [entries + 1]: entry e is data[offsets[e], offsets[e + 1])
    private int[] ids = new int[64];      // [entries]
    private int entries;
    private int[] slots = new int[128];   // entry + 1, or 0 for an empty slot

    /** Adds a piece unless that text is already present; returns whether it was added. */
    boolean add(byte[] piece, int id) {
        int h = hash(piece, 0, piece.length);
        int mask = slots.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int e = slots[i] - 1;
            if (e < 0) {
                append(piece, id);
                slots[i] = entries;
                if (entries * 2 > slots.length) {
                    rehash();
                }
                return true;
            }
            if (matches(e, piece, 0, piece.length)) {
                return false;
            }
        }
    }

    /** The id of the piece whose UTF-8 is {@code s[from, to)}, or {@link #ABSENT}. */
    int find(byte[] s, int from, int to) {
        int mask = slots.length - 1;
        for (int i = hash(s, from, to) & mask; ; i = (i + 1) & mask) {
            int e = slots[i] - 1;
            if (e < 0) {
                return ABSENT;
            }
            if (matches(e, s, from, to)) {
                return ids[e];
            }
        }
    }

    private boolean matches(int e, byte[] s, int from, int to) {
        return Arrays.equals(data, offsets[e], offsets[e + 1], s, from, to);
    }

    private void append(byte[] piece, int id) {
        if (dataSize + piece.length > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, dataSize + piece.length));
        }
        if (entries + 1 >= ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
            offsets = Arrays.copyOf(offsets, ids.length + 1);
        }
        System.arraycopy(piece, 0, data, dataSize, piece.length);
        offsets[entries] = dataSize;
        dataSize += piece.length;
        ids[entries] = id;
        entries++;
        offsets[entries] = dataSize;
    }

    private void rehash() {
        slots = new int[slots.length * 2];
        int mask = slots.length - 1;
        for (int e = 0; e < entries; e++) {
            int i = hash(data, offsets[e], offsets[e + 1]) & mask;
            while (slots[i] != 0) {
                i = (i + 1) & mask;
            }
            slots[i] = e + 1;
        }
    }

    private static int hash(byte[] s, int from, int to) {
        int h = 0x811C9DC5; // FNV-1a, then a final avalanche so linear probing sees spread-out slots
        for (int i = from; i < to; i++) {
            h = (h ^ (s[i] & 0xFF)) * 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }
}
