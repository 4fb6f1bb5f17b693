package dev.minitron.engine.tokenizer;

import java.util.Arrays;

/**
 * Streams the text of one sequence as its tokens arrive. Byte-fallback tokens can split a
 * character over several tokens, so the bytes of an unfinished UTF-8 sequence at the tail are held
 * back until the rest arrives; everything else is released at once. The concatenation of everything
 * {@link #push} and {@link #flush} return equals the UTF-8 decoding of all the tokens'
 * {@link Tokenizer#tokenBytes bytes}, where each byte that belongs to no well-formed character
 * becomes one U+FFFD: SentencePiece's rule for byte pieces, so the stream agrees with
 * {@link Tokenizer#decode} (Java's own decoder would sometimes give one U+FFFD for several bytes).
 * Control tokens contribute no bytes, so one arriving mid-character does not split it (where
 * {@code decode} would end the byte run there). Not thread-safe: one per sequence.
 */
public final class IncrementalDetokenizer {

    private final Tokenizer tokenizer;
    private byte[] held = new byte[0]; // a well-formed but unfinished UTF-8 sequence: at most 3 bytes

    public IncrementalDetokenizer(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Adds one token; returns the text it completes (possibly empty). An id past the tokenizer's
     * pieces (a model whose embedding is padded beyond its tokenizer, or random weights over a small
     * test tokenizer) has no text, as in transformers.
     */
    public String push(int tokenId) {
        if (tokenId >= tokenizer.vocabSize() && tokenId >= 0) {
            return "";
        }
        byte[] bytes = tokenizer.tokenBytes(tokenId);
        if (bytes.length == 0) {
            return "";
        }
        byte[] all = Arrays.copyOf(held, held.length + bytes.length);
        System.arraycopy(bytes, 0, all, held.length, bytes.length);
        int complete = completeLength(all);
        held = Arrays.copyOfRange(all, complete, all.length);
        return decode(all, complete);
    }

    /** Returns whatever is held back, one U+FFFD per byte, and starts afresh. */
    public String flush() {
        String rest = decode(held, held.length);
        held = new byte[0];
        return rest;
    }

    /** Whether bytes are held back waiting for the rest of a character. */
    public boolean hasPending() {
        return held.length > 0;
    }

    /** Length of the prefix of {@code s} that no later byte can change: all but an unfinished tail. */
    static int completeLength(byte[] s) {
        int n = s.length;
        for (int i = n - 1; i >= Math.max(0, n - 3); i--) {
            int b = s[i] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue; // a continuation byte: look further back for its lead
            }
            boolean unfinished = sequenceLength(b) > n - i && (i + 1 == n || secondByteFits(b, s[i + 1] & 0xFF));
            return unfinished ? i : n;
        }
        return n;
    }

    private static String decode(byte[] bytes, int length) {
        ByteSink out = new ByteSink(length + 8);
        Utf8.appendLenient(bytes, 0, length, out);
        return out.toString();
    }

    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        return lead >= 0xF0 && lead <= 0xF4 ? 4 : 1;
    }

    /** The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF. */
    private static boolean secondByteFits(int lead, int second) {
        int lo = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
        int hi = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
        return second >= lo && second <= hi;
    }
}
