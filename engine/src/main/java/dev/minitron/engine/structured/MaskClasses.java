package dev.minitron.engine.structured;

import java.util.Arrays;

/**
 * The states of an automaton grouped by the token mask they must have, computed before any mask.
 * A token of at most D bytes is allowed in state s iff its bytes can be read from s, so the mask
 * depends only on which byte strings of length ≤ D stay alive from s (and EOS on whether s
 * accepts). Moore's refinement run D rounds from the partition {alive} (a missing transition is
 * "dead") groups exactly the states that keep the same strings of length ≤ D alive: states s, s'
 * stay together after round j+1 iff every byte takes them to states together after round j.
 *
 * <p>This is what makes precomputing every mask affordable: the counting states of a
 * {@code maxLength: 40} string, say, differ only in how many characters remain, and all those with
 * D or more remaining allow the same tokens, so they share one mask and one trie walk. It is the
 * DFA form of xgrammar's observation that most of a mask does not depend on the exact position.
 * The refinement costs D × states × byte classes and stops early once a round splits nothing.
 */
final class MaskClasses {

    /** About a second of refinement at most. */
    private static final long MAX_WORK = 1L << 28;

    private final int[] keyOf;            // [state]: index of its mask
    private final int[] representative;   // [key]: a state with that mask

    private MaskClasses(int[] keyOf, int[] representative) {
        this.keyOf = keyOf;
        this.representative = representative;
    }

    /** @param depth the vocabulary's longest token in bytes */
    static MaskClasses of(ByteDfa dfa, int depth) {
        return of(dfa, depth, MAX_WORK);
    }

    /**
     * Past {@code maxWork} signature entries (states × byte classes × rounds) every state is its own
     * class: still exact, only without the sharing, so a huge automaton never spends seconds here.
     */
    static MaskClasses of(ByteDfa dfa, int depth, long maxWork) {
        int n = dfa.numStates();
        if ((long) n * dfa.numByteClasses() * depth > maxWork) {
            int[] identity = new int[n];
            Arrays.setAll(identity, s -> s);
            return new MaskClasses(identity, identity);
        }
        int[] cls = new int[n];   // round 0: every state alive, one class
        int count = 1;
        int[] table = new int[Integer.highestOneBit(Math.max(4, 2 * n)) << 1];   // open addressing: class + 1
        int[] classRep = new int[n];
        long[] classHash = new long[n];
        for (int round = 0; round < depth; round++) {
            Arrays.fill(table, 0);
            int[] refined = new int[n];
            int refinedCount = 0;
            for (int s = 0; s < n; s++) {
                long h = signatureHash(dfa, cls, s);
                int slot = (int) (h ^ h >>> 32) & (table.length - 1);
                int id = -1;
                while (table[slot] != 0) {
                    int candidate = table[slot] - 1;
                    if (classHash[candidate] == h && sameSignature(dfa, cls, s, classRep[candidate])) {
                        id = candidate;
                        break;
                    }
                    slot = (slot + 1) & (table.length - 1);
                }
                if (id < 0) {
                    id = refinedCount++;
                    classRep[id] = s;
                    classHash[id] = h;
                    table[slot] = id + 1;
                }
                refined[s] = id;
            }
            boolean stable = refinedCount == count;   // refinement only splits: same count, same partition
            cls = refined;
            count = refinedCount;
            if (stable) {
                break;
            }
        }
        int[] keyOf = new int[n];
        int[] keyIds = new int[2 * count];   // (class, accepting) → key + 1
        int[] representative = new int[Math.min(n, 2 * count)];
        int keys = 0;
        for (int s = 0; s < n; s++) {
            int pair = 2 * cls[s] + (dfa.isAccepting(s) ? 1 : 0);
            if (keyIds[pair] == 0) {
                representative[keys] = s;
                keyIds[pair] = ++keys;
            }
            keyOf[s] = keyIds[pair] - 1;
        }
        return new MaskClasses(keyOf, Arrays.copyOf(representative, keys));
    }

    /** Number of distinct masks the automaton can need. */
    int size() {
        return representative.length;
    }

    int keyOf(int state) {
        return keyOf[state];
    }

    int representative(int key) {
        return representative[key];
    }

    /** A state's signature for the next round: its class and the class after each byte class (−1: dead). */
    private static long signatureHash(ByteDfa dfa, int[] cls, int s) {
        long h = cls[s] * 0x9E3779B97F4A7C15L;
        for (int c = 0; c < dfa.numByteClasses(); c++) {
            int t = dfa.nextByClass(s, c);
            h = (h + (t < 0 ? -1 : cls[t])) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 29;
        }
        return h;
    }

    private static boolean sameSignature(ByteDfa dfa, int[] cls, int s, int r) {
        if (cls[s] != cls[r]) {
            return false;
        }
        for (int c = 0; c < dfa.numByteClasses(); c++) {
            int a = dfa.nextByClass(s, c);
            int b = dfa.nextByClass(r, c);
            if ((a < 0 ? -1 : cls[a]) != (b < 0 ? -1 : cls[b])) {
                return false;
            }
        }
        return true;
    }
}
