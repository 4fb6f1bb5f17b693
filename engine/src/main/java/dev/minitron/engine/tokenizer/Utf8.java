package dev.minitron.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 rules exactly as SentencePiece applies them (its {@code DecodeUTF8} and {@code OneCharLen}). */
final class Utf8 {

    static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8); // '▁', E2 96 81
    static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);  // EF BF BD

    private Utf8() {
    }

    /** Length of the character a lead byte announces, without validating it (1 for stray bytes). */
    static int oneCharLen(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 12 ? 1 : hi < 14 ? 2 : hi == 14 ? 3 : 4;
    }

    /**
     * Length of the well-formed character at {@code s[pos]} (within {@code end}), or 0 when it is
     * malformed: overlong, a surrogate, past U+10FFFF, or cut short.
     */
    static int validCharLen(byte[] s, int pos, int end) {
        int b0 = s[pos] & 0xFF;
        int len = end - pos;
        if (b0 < 0x80) {
            return 1;
        }
        if (len >= 2 && (b0 & 0xE0) == 0xC0 && trail(s[pos + 1])) {
            int cp = ((b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F);
            return cp >= 0x80 ? 2 : 0;
        }
        if (len >= 3 && (b0 & 0xF0) == 0xE0 && trail(s[pos + 1]) && trail(s[pos + 2])) {
            int cp = ((b0 & 0x0F) << 12) | ((s[pos + 1] & 0x3F) << 6) | (s[pos + 2] & 0x3F);
            return cp >= 0x800 && validCodepoint(cp) ? 3 : 0;
        }
        if (len >= 4 && (b0 & 0xF8) == 0xF0 && trail(s[pos + 1]) && trail(s[pos + 2]) && trail(s[pos + 3])) {
            int cp = ((b0 & 0x07) << 18) | ((s[pos + 1] & 0x3F) << 12) | ((s[pos + 2] & 0x3F) << 6)
                    | (s[pos + 3] & 0x3F);
            return cp >= 0x10000 && validCodepoint(cp) ? 4 : 0;
        }
        return 0;
    }

    /**
     * Appends {@code s[from, to)} with every byte that is not part of a well-formed character
     * replaced by U+FFFD, one per byte: how SentencePiece decodes a run of byte pieces.
     */
    static void appendLenient(byte[] s, int from, int to, ByteSink out) {
        for (int pos = from; pos < to; ) {
            int len = validCharLen(s, pos, to);
            if (len == 0) {
                out.append(REPLACEMENT);
                pos++;
            } else {
                out.append(s, pos, pos + len);
                pos += len;
            }
        }
    }

    /** UTF-8 of a Java string with every unpaired surrogate turned into U+FFFD (Java would write '?'). */
    static byte[] encode(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.isLowSurrogate(text.charAt(i + 1));
                if (!paired) {
                    return replaceLoneSurrogates(text).getBytes(StandardCharsets.UTF_8);
                }
                i++;
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static boolean startsWith(byte[] s, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (s[from + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static String replaceLoneSurrogates(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }

    private static boolean trail(byte b) {
        return (b & 0xC0) == 0x80;
    }

    private static boolean validCodepoint(int cp) {
        return cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF);
    }
}
