package dev.minitron.engine.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece's BPE segmentation of normalized text. The text starts as one symbol per UTF-8
 * character (a user-defined piece is one frozen symbol); while some adjacent pair concatenates to
 * a vocabulary piece, the pair whose piece scores highest merges (ties: the leftmost). Symbols form
 * a doubly-linked list over primitive arrays and candidate pairs wait in a {@link PairQueue}, so
 * encoding is O(n log n). UNUSED pieces may be formed by merges but are split back into the pieces
 * that formed them.
 */
final class BpeEncoder {

    private final PieceIndex mergeable; // NORMAL, USER_DEFINED and UNUSED pieces
    private final float[] scores;       // [vocab]
    private final boolean[] unused;     // [vocab]
    private final UserSymbols userSymbols;

    BpeEncoder(PieceIndex mergeable, float[] scores, boolean[] unused, UserSymbols userSymbols) {
        this.mergeable = mergeable;
        this.scores = scores;
        this.unused = unused;
        this.userSymbols = userSymbols;
    }

    /** Splits {@code text} into pieces: returns the {@code n + 1} byte offsets that bound {@code n} pieces. */
    int[] segment(byte[] text) {
        Symbols s = new Symbols(text);
        if (s.count == 0) {
            return new int[] {0};
        }
        PairQueue agenda = new PairQueue(s.count * 2);
        Map<Integer, Integer> splitOfUnused = new HashMap<>(); // UNUSED piece id -> length of its left part
        for (int i = 1; i < s.count; i++) {
            maybeAddPair(s, i - 1, i, agenda, splitOfUnused);
        }
        while (!agenda.isEmpty()) {
            int e = agenda.pop();
            int l = agenda.left(e);
            int r = agenda.right(e);
            if (s.length[l] == 0 || s.length[r] == 0 || s.length[l] + s.length[r] != agenda.length(e)) {
                continue; // stale: one side has merged elsewhere since this pair was queued
            }
            s.length[l] += s.length[r];
            s.length[r] = 0;
            s.next[l] = s.next[r];
            if (s.next[r] >= 0) {
                s.prev[s.next[r]] = l;
            }
            maybeAddPair(s, s.prev[l], l, agenda, splitOfUnused);
            maybeAddPair(s, l, s.next[l], agenda, splitOfUnused);
        }
        int[] bounds = new int[s.count + 1];
        int n = 0;
        for (int i = 0; i >= 0; i = s.next[i]) {
            n = resegment(text, s.start[i], s.start[i] + s.length[i], splitOfUnused, bounds, n);
        }
        bounds[n++] = text.length;
        return Arrays.copyOf(bounds, n);
    }

    private void maybeAddPair(Symbols s, int l, int r, PairQueue agenda, Map<Integer, Integer> splitOfUnused) {
        if (l < 0 || r < 0 || s.frozen[l] || s.frozen[r]) {
            return;
        }
        int id = mergeable.find(s.text, s.start[l], s.start[l] + s.length[l] + s.length[r]);
        if (id == PieceIndex.ABSENT) {
            return;
        }
        agenda.push(l, r, scores[id], s.length[l] + s.length[r]);
        if (unused[id]) {
            splitOfUnused.put(id, s.length[l]);
        }
    }

    /** Appends the start offsets of {@code text[from, to)}'s pieces, splitting UNUSED pieces back up. */
    private int resegment(byte[] text, int from, int to, Map<Integer, Integer> splitOfUnused, int[] bounds, int n) {
        int id = mergeable.find(text, from, to);
        Integer leftLength = id == PieceIndex.ABSENT || !unused[id] ? null : splitOfUnused.get(id);
        if (leftLength == null) {
            bounds[n] = from;
            return n + 1;
        }
        n = resegment(text, from, from + leftLength, splitOfUnused, bounds, n);
        return resegment(text, from + leftLength, to, splitOfUnused, bounds, n);
    }

    /** The symbol list: symbol i covers {@code text[start[i], start[i] + length[i])}; length 0 once merged away. */
    private final class Symbols {
        final byte[] text;
        final int count;
        final int[] start;
        final int[] length;
        final int[] prev;       // -1 at the head
        final int[] next;       // -1 at the tail
        final boolean[] frozen; // user-defined pieces never merge

        Symbols(byte[] text) {
            this.text = text;
            int[] st = new int[text.length];
            int[] len = new int[text.length];
            boolean[] fr = new boolean[text.length];
            int c = 0;
            for (int pos = 0; pos < text.length; c++) {
                int user = userSymbols.match(text, pos, text.length);
                fr[c] = user > 0;
                st[c] = pos;
                len[c] = user > 0 ? user : Math.min(Utf8.oneCharLen(text[pos]), text.length - pos);
                pos += len[c];
            }
            count = c;
            start = st;
            length = len;
            frozen = fr;
            prev = new int[c];
            next = new int[c];
            for (int i = 0; i < c; i++) {
                prev[i] = i - 1;
                next[i] = i + 1 < c ? i + 1 : -1;
            }
        }
    }
}
