package dev.minitron.engine.structured;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic automaton over bytes with every state live: each state can still reach an
 * accepting one, so a prefix the automaton accepts can always be finished. Transitions are stored
 * per byte class (bytes no edge tells apart share a column), −1 for "not allowed".
 * Immutable and thread-safe.
 */
public final class ByteDfa {

    /** Past this many states a grammar is refused as too large. */
    static final int MAX_STATES = 200_000;

    private final int[] classOf;      // [256]
    private final int numClasses;
    private final int[] next;         // [state * numClasses + class]
    private final boolean[] accepting;
    private final long[] selfLoops;   // [state * 4 + word]: bytes that keep the state where it is

    private ByteDfa(int[] classOf, int numClasses, int[] next, boolean[] accepting) {
        this.classOf = classOf;
        this.numClasses = numClasses;
        this.next = next;
        this.accepting = accepting;
        int n = accepting.length;
        this.selfLoops = new long[n * 4];
        for (int s = 0; s < n; s++) {
            for (int b = 0; b < 256; b++) {
                if (next[s * numClasses + classOf[b]] == s) {
                    selfLoops[s * 4 + (b >> 6)] |= 1L << (b & 63);
                }
            }
        }
    }

    public static ByteDfa of(Rx rx) {
        return determinize(new ByteNfa(rx));
    }

    /** The start state is always 0. */
    public int start() {
        return 0;
    }

    public int numStates() {
        return accepting.length;
    }

    public boolean isAccepting(int state) {
        return accepting[state];
    }

    /** The state after {@code b} (0–255), or −1 when the language does not allow it here. */
    public int next(int state, int b) {
        return next[state * numClasses + classOf[b]];
    }

    int numByteClasses() {
        return numClasses;
    }

    /** The state after any byte of class {@code c}, or −1. */
    int nextByClass(int state, int c) {
        return next[state * numClasses + c];
    }

    /** The state after all of {@code bytes}, or −1. */
    public int walk(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state >= 0; i++) {
            state = next[state * numClasses + classOf[bytes[i] & 0xFF]];
        }
        return state;
    }

    /** Whether every byte set in {@code bytes} (four words of a 256-bit set) leaves {@code state} unchanged. */
    boolean loopsOnAll(int state, long[] bytes, int offset) {
        int base = state * 4;
        return (bytes[offset] & ~selfLoops[base]) == 0 && (bytes[offset + 1] & ~selfLoops[base + 1]) == 0
                && (bytes[offset + 2] & ~selfLoops[base + 2]) == 0 && (bytes[offset + 3] & ~selfLoops[base + 3]) == 0;
    }

    /** Whether the language holds {@code bytes} as a whole string. */
    public boolean matches(byte[] bytes) {
        int s = walk(0, bytes);
        return s >= 0 && accepting[s];
    }

    /** The strings both automata accept (the product construction). */
    public ByteDfa intersect(ByteDfa other) {
        Map<Long, Integer> ids = new HashMap<>();
        ArrayDeque<Long> queue = new ArrayDeque<>();
        ids.put(0L, 0);
        queue.add(0L);
        List<int[]> rows = new ArrayList<>();
        List<Boolean> acc = new ArrayList<>();
        while (!queue.isEmpty()) {
            long pair = queue.poll();
            int a = (int) (pair >>> 32);
            int b = (int) pair;
            int[] row = new int[256];
            for (int c = 0; c < 256; c++) {
                int na = next(a, c);
                int nb = other.next(b, c);
                if (na < 0 || nb < 0) {
                    row[c] = -1;
                    continue;
                }
                long key = ((long) na << 32) | nb;
                Integer id = ids.get(key);
                if (id == null) {
                    id = ids.size();
                    if (id >= MAX_STATES) {
                        throw tooLarge();
                    }
                    ids.put(key, id);
                    queue.add(key);
                }
                row[c] = id;
            }
            rows.add(row);
            acc.add(accepting[a] && other.accepting[b]);
        }
        int[] identity = new int[256];
        for (int c = 0; c < 256; c++) {
            identity[c] = c;
        }
        int[] flat = new int[rows.size() * 256];
        boolean[] accept = new boolean[rows.size()];
        for (int s = 0; s < rows.size(); s++) {
            System.arraycopy(rows.get(s), 0, flat, s * 256, 256);
            accept[s] = acc.get(s);
        }
        return trim(identity, 256, flat, accept);
    }

    static ByteDfa determinize(ByteNfa nfa) {
        SubsetConstruction.Table t = SubsetConstruction.of(nfa);
        return trim(t.classOf(), t.numClasses(), t.next(), t.accepting());
    }

    /** Drops the states that cannot reach an accepting one; refuses an empty language. */
    private static ByteDfa trim(int[] classOf, int numClasses, int[] next, boolean[] accepting) {
        int n = accepting.length;
        int[] revStart = new int[n + 1];   // sources of t: rev[revStart[t] .. revStart[t + 1])
        for (int i = 0; i < n * numClasses; i++) {
            if (next[i] >= 0) {
                revStart[next[i] + 1]++;
            }
        }
        for (int t = 0; t < n; t++) {
            revStart[t + 1] += revStart[t];
        }
        int[] rev = new int[revStart[n]];
        int[] fill = Arrays.copyOf(revStart, n);
        for (int i = 0; i < n * numClasses; i++) {
            if (next[i] >= 0) {
                rev[fill[next[i]]++] = i / numClasses;
            }
        }
        boolean[] live = new boolean[n];
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        for (int s = 0; s < n; s++) {
            if (accepting[s]) {
                live[s] = true;
                queue[tail++] = s;
            }
        }
        while (head < tail) {
            int t = queue[head++];
            for (int j = revStart[t]; j < revStart[t + 1]; j++) {
                int p = rev[j];
                if (!live[p]) {
                    live[p] = true;
                    queue[tail++] = p;
                }
            }
        }
        if (!live[0]) {
            throw new GrammarException(GrammarException.Kind.EMPTY, "no output satisfies it", -1);
        }
        int[] renumber = new int[n];
        int kept = 0;
        for (int s = 0; s < n; s++) {
            renumber[s] = live[s] ? kept++ : -1;
        }
        int[] trimmed = new int[kept * numClasses];
        boolean[] acc = new boolean[kept];
        for (int s = 0; s < n; s++) {
            if (!live[s]) {
                continue;
            }
            int r = renumber[s];
            acc[r] = accepting[s];
            for (int c = 0; c < numClasses; c++) {
                int t = next[s * numClasses + c];
                trimmed[r * numClasses + c] = t < 0 ? -1 : renumber[t];
            }
        }
        SubsetConstruction.Table min = DfaMinimizer.minimize(classOf, numClasses, trimmed, acc);
        return new ByteDfa(min.classOf(), min.numClasses(), min.next(), min.accepting());
    }

    static GrammarException tooLarge() {
        return new GrammarException(GrammarException.Kind.TOO_LARGE, "the grammar needs more than " + MAX_STATES
                + " automaton states; use smaller length or item limits", -1);
    }
}
