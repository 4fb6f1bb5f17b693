package dev.minitron.engine.tokenizer;

/**
 * SentencePiece's normalizer: rewrites characters by the precompiled rules (if any), drops
 * leading, trailing and repeated spaces when {@code remove_extra_whitespaces} is set, prepends the
 * dummy-prefix space and escapes ' ' as '▁'. Works on UTF-8 bytes, exactly as SentencePiece does,
 * because its rules are keyed on bytes. Stateless and thread-safe.
 */
final class SpmNormalizer {

    /** The next normalized unit: {@code src[from, to)} replaces {@code consumed} input bytes. */
    private record Prefix(byte[] src, int from, int to, int consumed) {
        boolean isSingleSpace() {
            return to - from == 1 && src[from] == ' ';
        }
    }

    private final NormalizerSpec spec;
    private final PrecompiledCharsMap charsMap; // null: identity
    private final boolean treatWhitespaceAsSuffix;
    private final UserSymbols userSymbols;

    SpmNormalizer(NormalizerSpec spec, boolean treatWhitespaceAsSuffix, UserSymbols userSymbols) {
        this.spec = spec;
        byte[] blob = spec.precompiledCharsmap();
        this.charsMap = blob.length == 0 ? null : PrecompiledCharsMap.decode(blob);
        this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
        this.userSymbols = userSymbols;
    }

    byte[] normalize(byte[] input) {
        int pos = 0;
        int end = input.length;
        if (spec.removeExtraWhitespaces()) {
            while (pos < end) {
                Prefix p = prefix(input, pos);
                if (!p.isSingleSpace()) {
                    break;
                }
                pos += p.consumed();
            }
        }
        if (pos == end) {
            return new byte[0];
        }
        byte[] space = spec.escapeWhitespaces() ? Utf8.SPACE_SYMBOL : new byte[] {' '};
        ByteSink out = new ByteSink((end - pos) * 3);
        if (!treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
            out.append(space);
        }
        boolean prevSpace = spec.removeExtraWhitespaces();
        while (pos < end) {
            Prefix p = prefix(input, pos);
            int from = p.from();
            while (prevSpace && from < p.to() && p.src()[from] == ' ') {
                from++;
            }
            if (from < p.to()) {
                for (int i = from; i < p.to(); i++) {
                    byte b = p.src()[i];
                    if (b == ' ' && spec.escapeWhitespaces()) {
                        out.append(Utf8.SPACE_SYMBOL);
                    } else {
                        out.append(b);
                    }
                }
                prevSpace = p.src()[p.to() - 1] == ' ';
            }
            pos += p.consumed();
            if (!spec.removeExtraWhitespaces()) {
                prevSpace = false;
            }
        }
        if (spec.removeExtraWhitespaces()) {
            while (out.endsWith(space)) {
                out.truncate(out.size() - space.length);
            }
        }
        if (treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
            out.append(space);
        }
        return out.toByteArray();
    }

    private Prefix prefix(byte[] s, int pos) {
        int user = userSymbols.match(s, pos, s.length);
        if (user > 0) {
            return new Prefix(s, pos, pos + user, user);
        }
        if (charsMap != null) {
            PrecompiledCharsMap.Match m = charsMap.longestMatch(s, pos, s.length);
            if (m != null) {
                return new Prefix(charsMap.replacement(), m.from(), m.to(), m.length());
            }
        }
        int len = Utf8.validCharLen(s, pos, s.length);
        if (len == 0) {
            return new Prefix(Utf8.REPLACEMENT, 0, Utf8.REPLACEMENT.length, 1);
        }
        return new Prefix(s, pos, pos + len, len);
    }
}
