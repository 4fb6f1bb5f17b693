package dev.minitron.engine.structured;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A compiled structured-output constraint: the byte automaton of its language over one
 * vocabulary, with the allowed tokens of each {@link MaskClasses mask class} of states computed
 * once and kept (by a compile thread right after admission, or by the first step that needs one
 * first). Immutable apart from that cache, and shared by every request with the same schema;
 * thread-safe.
 */
public final class TokenGrammar {

    private final ByteDfa dfa;
    private final TokenVocabulary vocabulary;
    private final MaskClasses classes;
    /** Only walks read it: dropped once every mask is computed (null too for an automaton too large for it). */
    private volatile StateRuns runs;
    private final AtomicReferenceArray<TokenMask> masks;   // [mask class]
    /**
     * Equal masks shared: classes that differ only in strings no token spells allow the same
     * tokens, and a dense mask is 32 KB on a 256k vocabulary.
     */
    private final ConcurrentHashMap<TokenMask, TokenMask> distinct = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> masksReady = new CompletableFuture<>();

    TokenGrammar(ByteDfa dfa, TokenVocabulary vocabulary) {
        this.dfa = dfa;
        this.vocabulary = vocabulary;
        this.classes = MaskClasses.of(dfa, vocabulary.maxTokenBytes());
        this.runs = StateRuns.of(dfa, vocabulary.maxTokenBytes());
        this.masks = new AtomicReferenceArray<>(classes.size());
    }

    public int vocabSize() {
        return vocabulary.size();
    }

    public int numStates() {
        return dfa.numStates();
    }

    /** How many distinct masks the states can need (each one trie walk). */
    public int numMaskClasses() {
        return classes.size();
    }

    /** Bytes held by the distinct masks computed so far. */
    public long maskBytes() {
        return distinct.keySet().stream().mapToLong(TokenMask::heapBytes).sum();
    }

    /**
     * Completes when the compile thread is done with this grammar: every mask class has its mask, or
     * none was computed ahead because the grammar left the compiler's cache before its turn.
     */
    public CompletableFuture<Void> masksReady() {
        return masksReady;
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
        int key = classes.keyOf(state);
        TokenMask m = masks.get(key);
        if (m == null) {
            m = vocabulary.allowed(dfa, runs, classes.representative(key));
            TokenMask shared = distinct.putIfAbsent(m, m);
            m = shared != null ? shared : m;
            masks.compareAndSet(key, null, m);
        }
        return m;
    }

    /**
     * Computes every mask class's mask, the classes of the states nearest the start first (those
     * the first requests need), then completes {@link #masksReady()}. Run on a compile thread,
     * never the engine thread; a step that needs a mask not computed yet computes it itself.
     */
    void precomputeAll() {
        try {
            int n = dfa.numStates();
            boolean[] seen = new boolean[n];
            int[] queue = new int[n];
            int head = 0;
            int tail = 0;
            queue[tail++] = dfa.start();
            seen[dfa.start()] = true;
            while (head < tail) {
                int s = queue[head++];
                mask(s);
                for (int c = 0; c < dfa.numByteClasses(); c++) {
                    int t = dfa.nextByClass(s, c);
                    if (t >= 0 && !seen[t]) {
                        seen[t] = true;
                        queue[tail++] = t;
                    }
                }
            }
            runs = null;
            masksReady.complete(null);
        } catch (RuntimeException | Error e) {
            masksReady.completeExceptionally(e);
            throw e;
        }
    }
}
