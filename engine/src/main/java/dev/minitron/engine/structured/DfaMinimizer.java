package dev.minitron.engine.structured;

import java.util.Arrays;

/**
 * Hopcroft's minimization for a partial transition function (Valmari and Lehtinen's variant,
 * O(m·log n) over the m defined transitions): states with the same future become one, so a schema
 * whose compiler repeats a sub-language (the members after each optional first member) keeps one
 * copy of its states, and one mask each. No sink state is added: in a schema automaton most
 * (state, byte class) pairs have no transition, and a sink would make every splitter that contains
 * it walk all of them. The input must be trimmed (every state live), so no state is equivalent to
 * the missing sink; state 0 stays the start.
 */
final class DfaMinimizer {

    private DfaMinimizer() {
    }

    /** The minimal automaton's table, or {@code next} itself when no two states are equivalent. */
    static SubsetConstruction.Table minimize(int[] classOf, int k, int[] next, boolean[] accepting) {
        int n = accepting.length;
        // inverse transitions by target: in-edges of t are inv[invStart[t] .. invStart[t + 1]), (class << 32 | source)
        int[] invStart = new int[n + 1];
        for (int i = 0; i < n * k; i++) {
            if (next[i] >= 0) {
                invStart[next[i] + 1]++;
            }
        }
        for (int t = 0; t < n; t++) {
            invStart[t + 1] += invStart[t];
        }
        long[] inv = new long[invStart[n]];
        int[] fill = Arrays.copyOf(invStart, n);
        for (int i = 0; i < n * k; i++) {
            if (next[i] >= 0) {
                inv[fill[next[i]]++] = (long) (i % k) << 32 | (i / k);
            }
        }
        // refinable partition: each block is a contiguous range of elems; marked states move to its front
        int[] elems = new int[n];
        int[] pos = new int[n];
        int[] blockOf = new int[n];
        int[] start = new int[n];
        int[] end = new int[n];
        int[] mid = new int[n];
        int blocks = 0;
        int e = 0;
        for (int pass = 0; pass < 2; pass++) {
            int first = e;
            for (int s = 0; s < n; s++) {
                if (accepting[s] == (pass == 0)) {
                    elems[e] = s;
                    pos[s] = e++;
                    blockOf[s] = blocks;
                }
            }
            if (e > first) {
                start[blocks] = first;
                end[blocks] = e;
                mid[blocks] = first;
                blocks++;
            }
        }
        // work list of splitter blocks, each split by all its in-edges at once, class by class;
        // with a partial function every initial block is a splitter
        boolean[] inWork = new boolean[n];
        int[] work = new int[n];
        int top = 0;
        for (int b = 0; b < blocks; b++) {
            inWork[b] = true;
            work[top++] = b;
        }
        long[] preds = new long[inv.length];
        int[] touched = new int[n];
        while (top > 0) {
            int a = work[--top];
            inWork[a] = false;
            int np = 0;   // collected first: splitting reorders elems, block a's among them
            for (int i = start[a]; i < end[a]; i++) {
                int t = elems[i];
                for (int j = invStart[t]; j < invStart[t + 1]; j++) {
                    preds[np++] = inv[j];
                }
            }
            Arrays.sort(preds, 0, np);   // grouped by class
            for (int g = 0; g < np; ) {
                int c = (int) (preds[g] >>> 32);
                int nt = 0;
                for (; g < np && (int) (preds[g] >>> 32) == c; g++) {
                    int s = (int) preds[g];
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
                    for (int j = start[nb]; j < end[nb]; j++) {
                        blockOf[elems[j]] = nb;
                    }
                    // Hopcroft's rule: a pending block's halves both stay pending; otherwise the smaller suffices
                    int add = inWork[b] || end[nb] - start[nb] <= end[b] - start[b] ? nb : b;
                    if (!inWork[add]) {
                        inWork[add] = true;
                        work[top++] = add;
                    }
                }
            }
        }
        if (blocks == n) {
            return new SubsetConstruction.Table(classOf, k, next, accepting);
        }
        // renumber: blocks in order of their first state, so state 0's block stays the start
        int[] id = new int[blocks];
        Arrays.fill(id, -1);
        int count = 0;
        for (int s = 0; s < n; s++) {
            if (id[blockOf[s]] < 0) {
                id[blockOf[s]] = count++;
            }
        }
        int[] merged = new int[count * k];
        boolean[] acc = new boolean[count];
        for (int s = 0; s < n; s++) {
            int b = id[blockOf[s]];
            acc[b] = accepting[s];
            for (int c = 0; c < k; c++) {
                int t = next[s * k + c];
                merged[b * k + c] = t < 0 ? -1 : id[blockOf[t]];
            }
        }
        return new SubsetConstruction.Table(classOf, k, merged, acc);
    }
}
