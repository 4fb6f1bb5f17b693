package dev.minitron.engine.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SentencePiece's compiled normalization rules ({@code NormalizerSpec.precompiled_charsmap}), e.g.
 * {@code nmt_nfkc}: a darts-clone double-array trie over UTF-8 byte strings whose values point into
 * a blob of NUL-terminated replacement strings.
 *
 * <p>Blob layout: {@code uint32 LE trieBytes}, then the trie as {@code trieBytes / 4} little-endian
 * 32-bit units, then the replacement strings.
 */
final class PrecompiledCharsMap {

    /** A match: replace {@code length} input bytes by {@code replacement[from, to)}. */
    record Match(int length, int from, int to) {
    }

    // SentencePiece stops collecting trie results after this many; kept for identical output
    private static final int MAX_TRIE_RESULTS = 32;

    private final int[] units;        // darts-clone units
    private final byte[] replacement; // NUL-separated normalized strings

    private PrecompiledCharsMap(int[] units, byte[] replacement) {
        this.units = units;
        this.replacement = replacement;
    }

    static PrecompiledCharsMap decode(byte[] blob) {
        if (blob.length <= 4) {
            throw new InvalidModelException("corrupt model: precompiled_charsmap of " + blob.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        long trieBytes = in.getInt() & 0xFFFF_FFFFL;
        if (trieBytes >= blob.length - 4L || trieBytes % 4 != 0) {
            throw new InvalidModelException("corrupt model: precompiled_charsmap trie of " + trieBytes
                    + " bytes does not fit its " + blob.length + "-byte blob");
        }
        int[] units = new int[(int) (trieBytes / 4)];
        in.asIntBuffer().get(units);
        byte[] replacement = new byte[blob.length - 4 - (int) trieBytes];
        in.position(4 + (int) trieBytes);
        in.get(replacement);
        return new PrecompiledCharsMap(units, replacement);
    }

    /** The longest rule matching a prefix of {@code s[from, to)}, or null when none does. */
    Match longestMatch(byte[] s, int from, int to) {
        if (units.length == 0) {
            return null;
        }
        int bestLength = 0;
        int bestValue = 0;
        int results = 0;
        int nodePos = offset(units[0]);
        for (int i = from; i < to; i++) {
            int label = s[i] & 0xFF;
            nodePos ^= label;
            if (nodePos >= units.length) {
                break;
            }
            int unit = units[nodePos];
            if (label(unit) != label) {
                break;
            }
            nodePos ^= offset(unit);
            if (nodePos >= units.length) {
                break;
            }
            if (hasLeaf(unit) && ++results <= MAX_TRIE_RESULTS) {
                bestLength = i + 1 - from;
                bestValue = value(units[nodePos]);
            }
        }
        if (bestLength == 0) {
            return null;
        }
        if (bestValue < 0 || bestValue >= replacement.length) {
            throw new InvalidModelException("corrupt model: precompiled_charsmap value " + bestValue + " out of range");
        }
        int end = bestValue;
        while (end < replacement.length && replacement[end] != 0) {
            end++;
        }
        return new Match(bestLength, bestValue, end);
    }

    byte[] replacement() {
        return replacement;
    }

    private static boolean hasLeaf(int unit) {
        return ((unit >>> 8) & 1) == 1;
    }

    private static int value(int unit) {
        return unit & 0x7FFF_FFFF;
    }

    private static int label(int unit) {
        return unit & (0x8000_0000 | 0xFF);
    }

    private static int offset(int unit) {
        return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    }
}
