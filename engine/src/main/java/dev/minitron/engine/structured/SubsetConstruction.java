package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset construction from a {@link ByteNfa} to a deterministic automaton over byte classes
 * (bytes no NFA edge tells apart share a column). Two shortcuts keep a 6k-state schema NFA in the
 * milliseconds: each DFA state's edges are bucketed by the classes they cover in one pass (instead
 * of testing every edge against every class), and the set of NFA states a class moves to is looked
 * up before its epsilon closure is computed (most classes of a state, e.g. every letter inside a
 * JSON string, move to the same set). The result is not yet trimmed or minimal.
 */
final class SubsetConstruction {

    private SubsetConstruction() {
    }

    /** The DFA as a flat table: state 0 the start, −1 for no transition. */
    record Table(int[] classOf, int numClasses, int[] next, boolean[] accepting) {
    }

    static Table of(ByteNfa nfa) {
        int[] classOf = byteClasses(nfa);
        int k = classOf[255] + 1;
        Closure closure = new Closure(nfa);
        Map<IntArrayKey, Integer> byClosure = new HashMap<>();
        Map<IntArrayKey, Integer> byMove = new HashMap<>();
        List<int[]> sets = new ArrayList<>();
        int[] startSet = closure.of(new int[] {nfa.start}, 1);
        byClosure.put(new IntArrayKey(startSet), 0);
        sets.add(startSet);
        int[] flat = new int[64 * k];
        int[][] bucket = new int[k][8];
        int[] bucketSize = new int[k];
        int[] mark = new int[nfa.size()];   // stamp of the (state, class) a target was last added to
        Arrays.fill(mark, -1);
        int stamp = 0;
        for (int d = 0; d < sets.size(); d++) {
            if ((d + 1) * k > flat.length) {
                flat = Arrays.copyOf(flat, flat.length * 2);
            }
            Arrays.fill(bucketSize, 0);
            int base = stamp;
            stamp += k;
            for (int s : sets.get(d)) {
                for (int i = 0; i < nfa.edgeCount(s); i++) {
                    int t = nfa.edgeTarget(s, i);
                    for (int c = classOf[nfa.edgeLo(s, i)], last = classOf[nfa.edgeHi(s, i)]; c <= last; c++) {
                        if (mark[t] != base + c) {   // skips repeats of the last (target, class); unique() drops the rest
                            mark[t] = base + c;
                            if (bucketSize[c] == bucket[c].length) {
                                bucket[c] = Arrays.copyOf(bucket[c], bucket[c].length * 2);
                            }
                            bucket[c][bucketSize[c]++] = t;
                        }
                    }
                }
            }
            for (int c = 0; c < k; c++) {
                int m = bucketSize[c];
                if (m == 0) {
                    flat[d * k + c] = -1;
                } else if (c > 0 && sameBucket(bucket, bucketSize, c - 1, c)) {
                    flat[d * k + c] = flat[d * k + c - 1];
                } else {
                    int[] moved = Arrays.copyOf(bucket[c], m);
                    Arrays.sort(moved);
                    moved = unique(moved);
                    IntArrayKey moveKey = new IntArrayKey(moved);
                    Integer id = byMove.get(moveKey);
                    if (id == null) {
                        int[] target = closure.of(moved, moved.length);
                        IntArrayKey key = new IntArrayKey(target);
                        id = byClosure.get(key);
                        if (id == null) {
                            id = sets.size();
                            if (id >= ByteDfa.MAX_STATES) {
                                throw ByteDfa.tooLarge();
                            }
                            byClosure.put(key, id);
                            sets.add(target);
                        }
                        byMove.put(moveKey, id);
                    }
                    flat[d * k + c] = id;
                }
            }
        }
        boolean[] accepting = new boolean[sets.size()];
        for (int d = 0; d < sets.size(); d++) {
            accepting[d] = Arrays.binarySearch(sets.get(d), nfa.accept) >= 0;
        }
        return new Table(classOf, k, Arrays.copyOf(flat, sets.size() * k), accepting);
    }

    private static boolean sameBucket(int[][] bucket, int[] size, int a, int b) {
        return size[a] == size[b] && Arrays.equals(bucket[a], 0, size[a], bucket[b], 0, size[b]);
    }

    private static int[] unique(int[] sorted) {
        int n = 0;
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || sorted[i] != sorted[i - 1]) {
                sorted[n++] = sorted[i];
            }
        }
        return n == sorted.length ? sorted : Arrays.copyOf(sorted, n);
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
