package dev.minitron.engine.structured;

/**
 * For each automaton state t and length h, a set of bytes R(t, h) such that every string of at
 * most h of those bytes can be read from t: the bytes that follow t's main path, where a state's
 * main successor is the one most bytes lead to. R(t, 1) is the set of bytes leading to t's main
 * successor m(t); R(t, h) = R(t, 1) ∩ R(m(t), h − 1).
 *
 * <p>This is the mask walk's shortcut for the counting states of a bounded string: inside a
 * {@code maxLength: 40} string every ordinary character moves from "k characters written" to
 * "k + 1", so no byte keeps the state where it is and the plain self-loop shortcut never applies;
 * but a trie subtree whose tokens use only such characters and are at most h bytes long fits when
 * at least h characters remain, and is taken whole without walking it.
 */
final class StateRuns {

    /** Lengths kept: longer subtrees are walked (the runs matter near the end of a bounded string). */
    private static final int MAX_DEPTH = 16;
    /** Past this many 256-bit sets (8 MB) the table is not built and walks go without it. */
    private static final long MAX_SETS = 1L << 18;

    private final int depth;
    private final long[] runs;   // [(state * depth + h − 1) * 4 + word]

    private StateRuns(int depth, long[] runs) {
        this.depth = depth;
        this.runs = runs;
    }

    /** @return the table for lengths 1 to {@code depth} (at most 16), or null for an automaton too large for it */
    static StateRuns of(ByteDfa dfa, int longestToken) {
        int n = dfa.numStates();
        int depth = Math.min(longestToken, MAX_DEPTH);
        if (depth < 1 || (long) n * depth > MAX_SETS) {
            return null;
        }
        int[] main = new int[n];
        long[] first = new long[4 * n];   // R(t, 1)
        int[] bytesTo = new int[n];
        for (int s = 0; s < n; s++) {
            int best = -1;
            for (int b = 0; b < 256; b++) {
                int t = dfa.next(s, b);
                if (t >= 0 && ++bytesTo[t] > (best < 0 ? 0 : bytesTo[best])) {
                    best = t;
                }
            }
            for (int b = 0; b < 256; b++) {
                int t = dfa.next(s, b);
                if (t >= 0) {
                    bytesTo[t] = 0;
                    if (t == best) {
                        first[4 * s + (b >> 6)] |= 1L << b;
                    }
                }
            }
            main[s] = best;
        }
        long[] runs = new long[4 * n * depth];
        for (int h = 1; h <= depth; h++) {
            for (int s = 0; s < n; s++) {
                int at = (s * depth + h - 1) * 4;
                int m = main[s];
                for (int w = 0; w < 4; w++) {
                    runs[at + w] = h == 1 ? first[4 * s + w]
                            : m < 0 ? 0L : first[4 * s + w] & runs[(m * depth + h - 2) * 4 + w];
                }
            }
        }
        return new StateRuns(depth, runs);
    }

    /**
     * Whether every string of at most {@code h} bytes from {@code bytes} (four words of a 256-bit
     * set, from {@code offset}) can be read from {@code state}.
     */
    boolean covers(int state, int h, long[] bytes, int offset) {
        if (h > depth) {
            return false;
        }
        int at = (state * depth + h - 1) * 4;
        return (bytes[offset] & ~runs[at]) == 0 && (bytes[offset + 1] & ~runs[at + 1]) == 0
                && (bytes[offset + 2] & ~runs[at + 2]) == 0 && (bytes[offset + 3] & ~runs[at + 3]) == 0;
    }
}
