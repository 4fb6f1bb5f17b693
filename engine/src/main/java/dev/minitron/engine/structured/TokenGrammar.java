package dev.minitron.engine.structured;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A compiled structured-output constraint: the byte automaton of its language over one
 * vocabulary, with each state's allowed tokens computed on first use and kept (states are few and
 * revisited by every request that uses the same schema). Immutable apart from that cache, and
 * shared by every request with the same schema; thread-safe.
 */
public final class TokenGrammar {

    private final ByteDfa dfa;
    private final TokenVocabulary vocabulary;
    private final AtomicReferenceArray<TokenMask> masks;
    /**
     * Equal masks shared: the counting states of a long string allow the same tokens until the end
     * is within one token's reach, and a dense mask is 32 KB on a 256k vocabulary.
     */
    private final ConcurrentHashMap<TokenMask, TokenMask> distinct = new ConcurrentHashMap<>();

    TokenGrammar(ByteDfa dfa, TokenVocabulary vocabulary) {
        this.dfa = dfa;
        this.vocabulary = vocabulary;
        this.masks = new AtomicReferenceArray<>(dfa.numStates());
    }

    public int vocabSize() {
        return vocabulary.size();
    }

    public int numStates() {
        return dfa.numStates();
    }

    public GrammarMatcher matcher() {
        return new GrammarMatcher(this);
    }

    int eosId() {
        return vocabulary.eosId();
    }

    boolean isAccepting(int state) {
        return dfa.isAccepting(state);
    }

    /** The state after {@code token}'s bytes, or −1 when it may not follow {@code state}. */
    int advance(int state, int token) {
        byte[] bytes = vocabulary.bytesOf(token);
        return bytes.length == 0 ? -1 : dfa.walk(state, bytes);
    }

    TokenMask mask(int state) {
        TokenMask m = masks.get(state);
        if (m == null) {
            m = vocabulary.allowed(dfa, state);
            TokenMask shared = distinct.putIfAbsent(m, m);
            m = shared != null ? shared : m;
            masks.compareAndSet(state, null, m);
        }
        return m;
    }

    /**
     * Computes the masks of the states reachable from the start, breadth first, until
     * {@code budgetNanos} is spent: done at compile time, off the engine thread, so the first
     * requests pay (almost) nothing. Returns how many states it covered.
     */
    int precompute(long budgetNanos) {
        long deadline = System.nanoTime() + budgetNanos;
        int n = dfa.numStates();
        boolean[] seen = new boolean[n];
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        queue[tail++] = dfa.start();
        seen[dfa.start()] = true;
        while (head < tail && System.nanoTime() < deadline) {
            int s = queue[head++];
            mask(s);
            for (int b = 0; b < 256; b++) {
                int t = dfa.next(s, b);
                if (t >= 0 && !seen[t]) {
                    seen[t] = true;
                    queue[tail++] = t;
                }
            }
        }
        return head;
    }
}
