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
        int[] classOf = byteClasses(nfa);
        int numClasses = classOf[255] + 1;
        int[] representative = new int[numClasses];
        for (int b = 255; b >= 0; b--) {
            representative[classOf[b]] = b;
        }
        Closure closure = new Closure(nfa);
        Map<IntArrayKey, Integer> ids = new HashMap<>();
        List<int[]> sets = new ArrayList<>();
        int[] startSet = closure.of(new int[] {nfa.start}, 1);
        ids.put(new IntArrayKey(startSet), 0);
        sets.add(startSet);
        int[] flat = new int[64 * numClasses];
        int[] moved = new int[nfa.size()];
        boolean[] seen = new boolean[nfa.size()];
        for (int d = 0; d < sets.size(); d++) {
            int[] set = sets.get(d);
            if ((d + 1) * numClasses > flat.length) {
                flat = Arrays.copyOf(flat, flat.length * 2);
            }
            for (int c = 0; c < numClasses; c++) {
                int rep = representative[c];
                int m = 0;
                for (int s : set) {
                    for (int i = 0; i < nfa.edgeCount(s); i++) {
                        if (nfa.edgeLo(s, i) <= rep && rep <= nfa.edgeHi(s, i)) {
                            int t = nfa.edgeTarget(s, i);
                            if (!seen[t]) {
                                seen[t] = true;
                                moved[m++] = t;
                            }
                        }
                    }
                }
                for (int i = 0; i < m; i++) {
                    seen[moved[i]] = false;
                }
                if (m == 0) {
                    flat[d * numClasses + c] = -1;
                    continue;
                }
                int[] target = closure.of(moved, m);
                IntArrayKey key = new IntArrayKey(target);
                Integer id = ids.get(key);
                if (id == null) {
                    id = sets.size();
                    if (id >= MAX_STATES) {
                        throw tooLarge();
                    }
                    ids.put(key, id);
                    sets.add(target);
                }
                flat[d * numClasses + c] = id;
            }
        }
        boolean[] accepting = new boolean[sets.size()];
        for (int d = 0; d < sets.size(); d++) {
            accepting[d] = Arrays.binarySearch(sets.get(d), nfa.accept) >= 0;
        }
        return trim(classOf, numClasses, Arrays.copyOf(flat, sets.size() * numClasses), accepting);
    }

    /** Drops the states that cannot reach an accepting one; refuses an empty language. */
    private static ByteDfa trim(int[] classOf, int numClasses, int[] next, boolean[] accepting) {
        int n = accepting.length;
        List<List<Integer>> reverse = new ArrayList<>(n);
        for (int s = 0; s < n; s++) {
            reverse.add(new ArrayList<>(2));
        }
        for (int s = 0; s < n; s++) {
            for (int c = 0; c < numClasses; c++) {
                int t = next[s * numClasses + c];
                if (t >= 0) {
                    reverse.get(t).add(s);
                }
            }
        }
        boolean[] live = new boolean[n];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int s = 0; s < n; s++) {
            if (accepting[s]) {
                live[s] = true;
                queue.add(s);
            }
        }
        while (!queue.isEmpty()) {
            for (int p : reverse.get(queue.poll())) {
                if (!live[p]) {
                    live[p] = true;
                    queue.add(p);
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
        return minimize(classOf, numClasses, trimmed, acc);
    }

    /**
     * Hopcroft's minimization (O(k·n·log n) over k byte classes): states with the same future become
     * one, so a schema whose compiler repeats a sub-language (the members after each optional
     * first member) keeps one copy of its states, and one mask each. A sink state n makes the
     * transition function total and is dropped again; state 0 stays the start.
     */
    private static ByteDfa minimize(int[] classOf, int k, int[] next, boolean[] accepting) {
        int n = accepting.length;
        int total = n + 1;   // state n: the sink
        // inverse transitions, per class: sources of t under c are inv[invStart[c*(total+1)+t] ..)
        int[] invStart = new int[k * (total + 1) + 1];
        for (int s = 0; s < total; s++) {
            for (int c = 0; c < k; c++) {
                invStart[c * (total + 1) + target(next, s, c, k, n) + 1]++;
            }
        }
        for (int i = 1; i < invStart.length; i++) {
            invStart[i] += invStart[i - 1];
        }
        int[] inv = new int[total * k];
        int[] fill = invStart.clone();
        for (int s = 0; s < total; s++) {
            for (int c = 0; c < k; c++) {
                inv[fill[c * (total + 1) + target(next, s, c, k, n)]++] = s;
            }
        }
        // refinable partition: each block is a contiguous range of elems; marked states move to its front
        int[] elems = new int[total];
        int[] pos = new int[total];
        int[] blockOf = new int[total];
        int[] start = new int[total];
        int[] end = new int[total];
        int[] mid = new int[total];
        int blocks = 0;
        int e = 0;
        for (int pass = 0; pass < 2; pass++) {
            int b = blocks;
            int first = e;
            for (int s = 0; s < total; s++) {
                boolean acc = s < n && accepting[s];
                if (acc == (pass == 0)) {
                    elems[e] = s;
                    pos[s] = e++;
                    blockOf[s] = b;
                }
            }
            if (e > first) {
                start[b] = first;
                end[b] = e;
                mid[b] = first;
                blocks++;
            }
        }
        java.util.BitSet inWork = new java.util.BitSet();
        ArrayDeque<Long> work = new ArrayDeque<>();
        for (int b = 0; b < blocks; b++) {
            for (int c = 0; c < k; c++) {
                inWork.set(b * k + c);
                work.add(((long) b << 32) | c);
            }
        }
        int[] preds = new int[total];
        int[] touched = new int[total];
        while (!work.isEmpty()) {
            long item = work.poll();
            int a = (int) (item >>> 32);
            int c = (int) item;
            inWork.clear(a * k + c);
            int np = 0;
            for (int i = start[a]; i < end[a]; i++) {
                int t = elems[i];
                for (int j = invStart[c * (total + 1) + t]; j < invStart[c * (total + 1) + t + 1]; j++) {
                    preds[np++] = inv[j];
                }
            }
            int nt = 0;
            for (int i = 0; i < np; i++) {
                int s = preds[i];
                int b = blockOf[s];
                int p = pos[s];
                if (p < mid[b]) {
                    continue;   // already marked
                }
                if (mid[b] == start[b]) {
                    touched[nt++] = b;
                }
                int other = elems[mid[b]];
                elems[mid[b]] = s;
                pos[s] = mid[b];
                elems[p] = other;
                pos[other] = p;
                mid[b]++;
            }
            for (int i = 0; i < nt; i++) {
                int b = touched[i];
                if (mid[b] == end[b]) {
                    mid[b] = start[b];   // every state of the block was marked: no split
                    continue;
                }
                int nb = blocks++;
                start[nb] = start[b];
                end[nb] = mid[b];
                mid[nb] = start[nb];
                start[b] = mid[b];
                mid[b] = start[b];
                for (int j = start[nb]; j < end[nb]; j++) {
                    blockOf[elems[j]] = nb;
                }
                boolean newSmaller = end[nb] - start[nb] <= end[b] - start[b];
                for (int d = 0; d < k; d++) {
                    if (inWork.get(b * k + d)) {
                        add(work, inWork, nb, d, k);
                    } else {
                        add(work, inWork, newSmaller ? nb : b, d, k);
                    }
                }
            }
        }
        // renumber: blocks of real states in order of their first state (state 0's block first)
        int[] id = new int[blocks];
        java.util.Arrays.fill(id, -1);
        int sink = blockOf[n];
        int count = 0;
        for (int s = 0; s < n; s++) {
            int b = blockOf[s];
            if (b != sink && id[b] < 0) {
                id[b] = count++;
            }
        }
        if (count == n) {
            return new ByteDfa(classOf, k, next, accepting);
        }
        int[] merged = new int[count * k];
        boolean[] acc = new boolean[count];
        for (int s = 0; s < n; s++) {
            int b = id[blockOf[s]];
            if (b < 0) {
                continue;   // equivalent to the sink: cannot happen in a trimmed DFA, kept for safety
            }
            acc[b] = accepting[s];
            for (int c = 0; c < k; c++) {
                int t = next[s * k + c];
                merged[b * k + c] = t < 0 ? -1 : id[blockOf[t]];
            }
        }
        return new ByteDfa(classOf, k, merged, acc);
    }

    private static int target(int[] next, int s, int c, int k, int sink) {
        if (s == sink) {
            return sink;
        }
        int t = next[s * k + c];
        return t < 0 ? sink : t;
    }

    private static void add(ArrayDeque<Long> work, java.util.BitSet inWork, int b, int c, int k) {
        if (!inWork.get(b * k + c)) {
            inWork.set(b * k + c);
            work.add(((long) b << 32) | c);
        }
    }

    private static int[] byteClasses(ByteNfa nfa) {
        boolean[] boundary = new boolean[257];
        for (int s = 0; s < nfa.size(); s++) {
            for (int i = 0; i < nfa.edgeCount(s); i++) {
                boundary[nfa.edgeLo(s, i)] = true;
                boundary[nfa.edgeHi(s, i) + 1] = true;
            }
        }
        int[] classOf = new int[256];
        int c = 0;
        for (int b = 0; b < 256; b++) {
            if (b > 0 && boundary[b]) {
                c++;
            }
            classOf[b] = c;
        }
        return classOf;
    }

    private static GrammarException tooLarge() {
        return new GrammarException(GrammarException.Kind.TOO_LARGE, "the grammar needs more than " + MAX_STATES
                + " automaton states; use smaller length or item limits", -1);
    }

    /** Epsilon closures as sorted arrays of NFA states. */
    private static final class Closure {
        private final ByteNfa nfa;
        private final int[] mark;
        private int generation;
        private final int[] stack;

        Closure(ByteNfa nfa) {
            this.nfa = nfa;
            this.mark = new int[nfa.size()];
            this.stack = new int[nfa.size()];
        }

        int[] of(int[] seeds, int count) {
            generation++;
            int top = 0;
            int[] out = new int[16];
            int n = 0;
            for (int i = 0; i < count; i++) {
                if (mark[seeds[i]] != generation) {
                    mark[seeds[i]] = generation;
                    stack[top++] = seeds[i];
                }
            }
            while (top > 0) {
                int s = stack[--top];
                if (nfa.edgeCount(s) > 0 || s == nfa.accept) {
                    if (n == out.length) {
                        out = Arrays.copyOf(out, n * 2);
                    }
                    out[n++] = s;   // only states that matter for moves and acceptance
                }
                for (int i = 0; i < nfa.epsilonCount(s); i++) {
                    int t = nfa.epsilon(s, i);
                    if (mark[t] != generation) {
                        mark[t] = generation;
                        stack[top++] = t;
                    }
                }
            }
            int[] set = Arrays.copyOf(out, n);
            Arrays.sort(set);
            return set;
        }
    }

    private record IntArrayKey(int[] a) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IntArrayKey k && Arrays.equals(a, k.a);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(a);
        }
    }
}
