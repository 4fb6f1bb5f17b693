package dev.minitron.engine.structured;

import dev.minitron.engine.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The model's vocabulary as the grammar sees it: each token's output bytes (SentencePiece's '▁'
 * already a space, byte-fallback pieces their one byte), arranged in a trie so that the tokens a
 * grammar state allows are found by one walk that prunes every subtree the automaton rejects,
 * instead of walking 256k tokens one by one. Built once per tokenizer; immutable and thread-safe.
 *
 * <p>The trie is stored in preorder over the tokens sorted by their bytes, so the tokens of any
 * subtree are one contiguous range of {@link #order}. Nodes with many tokens below them also keep
 * the set of bytes that occur below them: when every one of those bytes keeps the automaton in the
 * state it is in (the inside of a JSON string, say), the whole subtree is allowed without a walk.
 */
public final class TokenVocabulary {

    /** Subtrees with at least this many tokens keep their byte set for the shortcut. */
    private static final int SHORTCUT_MIN_TOKENS = 16;

    private final int size;
    private final int eosId;
    private final byte[][] bytes;        // [size]; empty for tokens that produce no text
    private final int[] order;           // token ids with text, sorted by their bytes
    // trie nodes in preorder; node 0 is the root (no label)
    private final byte[] label;
    private final int[] nextSibling;     // −1: last child
    private final boolean[] hasChildren; // first child is node + 1
    private final int[] tokenStart;      // order[tokenStart, tokenEnd): tokens whose bytes end here
    private final int[] tokenEnd;
    private final int[] subtreeEnd;      // order[tokenEnd, subtreeEnd): tokens strictly below
    private final int[] shortcut;        // index into subtreeBytes / 4, or −1
    private final long[] subtreeBytes;
    private final int[] subtreeHeight;  // [shortcut]: bytes of the longest token below, past the node
    private final int maxTokenBytes;

    /**
     * @param size the model's vocabulary size (its logits rows), which may exceed the tokenizer's:
     *     ids past the tokenizer have no text and are never allowed
     */
    public static TokenVocabulary of(Tokenizer tokenizer, int size) {
        byte[][] bytes = new byte[size][];
        for (int id = 0; id < size; id++) {
            bytes[id] = id < tokenizer.vocabSize() ? tokenizer.tokenBytes(id) : new byte[0];
        }
        return new TokenVocabulary(bytes, tokenizer.eosId());
    }

    /** @param bytes each token's output bytes; an empty array for a token with none (never allowed but EOS) */
    public TokenVocabulary(byte[][] bytes, int eosId) {
        this.size = bytes.length;
        this.eosId = eosId;
        this.bytes = bytes.clone();
        Integer[] sorted = new Integer[size];
        int n = 0;
        long totalBytes = 0;
        for (int id = 0; id < size; id++) {
            if (bytes[id].length > 0 && id != eosId) {
                sorted[n++] = id;
                totalBytes += bytes[id].length;
            }
        }
        Arrays.sort(sorted, 0, n, (a, b) -> Arrays.compareUnsigned(bytes[a], bytes[b]));
        order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = sorted[i];
        }
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8, totalBytes + 1);
        byte[] lab = new byte[capacity];
        int[] sib = new int[capacity];
        boolean[] kids = new boolean[capacity];
        int[] tStart = new int[capacity];
        int[] tEnd = new int[capacity];
        int[] sEnd = new int[capacity];
        int nodes = 1;
        int maxDepth = 1;
        for (int i = 0; i < n; i++) {
            maxDepth = Math.max(maxDepth, bytes[order[i]].length + 1);
        }
        maxTokenBytes = maxDepth - 1;
        int[] path = new int[maxDepth];       // path[d]: node at depth d on the current path
        int[] lastChild = new int[maxDepth];  // lastChild[d]: last child created under path[d]
        Arrays.fill(lastChild, -1);
        sib[0] = -1;
        int depth = 0;                        // depth of the deepest node on the path
        byte[] previous = new byte[0];
        for (int i = 0; i < n; i++) {
            byte[] b = bytes[order[i]];
            int common = 0;
            while (common < previous.length && common < b.length && previous[common] == b[common]) {
                common++;
            }
            while (depth > common) {          // close the nodes the new token leaves
                sEnd[path[depth]] = i;
                depth--;
            }
            for (int d = common; d < b.length; d++) {
                int node = nodes++;
                lab[node] = b[d];
                sib[node] = -1;
                tStart[node] = i;
                tEnd[node] = i;
                int parent = path[d];
                kids[parent] = true;
                if (lastChild[d] >= 0) {
                    sib[lastChild[d]] = node;
                }
                lastChild[d] = node;
                path[d + 1] = node;
                lastChild[d + 1] = -1;
                depth = d + 1;
            }
            tEnd[path[b.length]] = i + 1;
            previous = b;
        }
        while (depth > 0) {
            sEnd[path[depth]] = n;
            depth--;
        }
        tStart[0] = 0;
        tEnd[0] = 0;
        sEnd[0] = n;
        label = Arrays.copyOf(lab, nodes);
        nextSibling = Arrays.copyOf(sib, nodes);
        hasChildren = Arrays.copyOf(kids, nodes);
        tokenStart = Arrays.copyOf(tStart, nodes);
        tokenEnd = Arrays.copyOf(tEnd, nodes);
        subtreeEnd = Arrays.copyOf(sEnd, nodes);
        shortcut = new int[nodes];
        Arrays.fill(shortcut, -1);
        int big = 0;
        for (int node = 1; node < nodes; node++) {
            if (hasChildren[node] && subtreeEnd[node] - tokenEnd[node] >= SHORTCUT_MIN_TOKENS) {
                shortcut[node] = big++;
            }
        }
        subtreeBytes = new long[big * 4];
        subtreeHeight = new int[big];
        long[] scratch = new long[4 * (maxDepth + 1)];
        collectBytes(0, 0, scratch);
    }

    /**
     * ORs into scratch[depth] the bytes of every node below {@code node}; fills the shortcut sets
     * and heights. Returns the subtree's height (0 for a leaf).
     */
    private int collectBytes(int node, int depth, long[] scratch) {
        int base = 4 * depth;
        Arrays.fill(scratch, base, base + 4, 0L);
        if (!hasChildren[node]) {
            return 0;
        }
        int height = 0;
        for (int c = node + 1; c >= 0; c = nextSibling[c]) {
            int b = label[c] & 0xFF;
            scratch[base + (b >> 6)] |= 1L << (b & 63);
            height = Math.max(height, 1);
            if (hasChildren[c]) {
                height = Math.max(height, 1 + collectBytes(c, depth + 1, scratch));
                for (int w = 0; w < 4; w++) {
                    scratch[base + w] |= scratch[base + 4 + w];
                }
            }
        }
        if (shortcut[node] >= 0) {
            System.arraycopy(scratch, base, subtreeBytes, shortcut[node] * 4, 4);
            subtreeHeight[shortcut[node]] = height;
        }
        return height;
    }

    public int size() {
        return size;
    }

    public int eosId() {
        return eosId;
    }

    /** The bytes token {@code id} adds to the output (empty for none). */
    byte[] bytesOf(int id) {
        return bytes[id];
    }

    /** The longest token's length in bytes: how far ahead of a state its mask can look. */
    int maxTokenBytes() {
        return maxTokenBytes;
    }

    /** Number of trie nodes (a measure of the walk's worst case). */
    public int numNodes() {
        return label.length;
    }

    /**
     * The tokens allowed in {@code state}: those whose bytes the automaton can read from there
     * (every state it keeps is live, so each such token can still be completed), plus EOS where the
     * language may end. One walk of the trie that skips every subtree the automaton rejects and
     * takes whole every large subtree whose bytes keep it in place or on its main path
     * ({@code runs}, may be null).
     */
    TokenMask allowed(ByteDfa dfa, StateRuns runs, int state) {
        long[] bits = new long[(size + 63) >>> 6];
        int count = hasChildren[0] ? walk(dfa, runs, 0, state, bits) : 0;
        if (dfa.isAccepting(state) && eosId >= 0 && eosId < size) {
            bits[eosId >>> 6] |= 1L << eosId;
            count++;
        }
        return TokenMask.of(bits, count, size);
    }

    private int walk(ByteDfa dfa, StateRuns runs, int node, int state, long[] bits) {
        int count = 0;
        for (int c = node + 1; c >= 0; c = nextSibling[c]) {
            int t = dfa.next(state, label[c] & 0xFF);
            if (t < 0) {
                continue;
            }
            count += set(bits, tokenStart[c], tokenEnd[c]);
            if (hasChildren[c]) {
                int s = shortcut[c];
                if (s >= 0 && (dfa.loopsOnAll(t, subtreeBytes, s * 4)
                        || runs != null && runs.covers(t, subtreeHeight[s], subtreeBytes, s * 4))) {
                    count += set(bits, tokenEnd[c], subtreeEnd[c]);
                } else {
                    count += walk(dfa, runs, c, t, bits);
                }
            }
        }
        return count;
    }

    private int set(long[] bits, int from, int to) {
        for (int i = from; i < to; i++) {
            int id = order[i];
            bits[id >>> 6] |= 1L << id;
        }
        return to - from;
    }
}
