package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses the regular-expression subset that java.util.regex and ECMA-262 (JSON Schema's
 * {@code pattern}) agree on: literals, {@code .}, classes with ranges and negation, {@code \d \w \s}
 * and their negations, groups ({@code (…)}, {@code (?:…)}, {@code (?<name>…)}), alternation, and the
 * quantifiers {@code * + ? {n} {n,} {n,m}} (lazy forms too: they match the same strings).
 * {@code ^} and {@code $} are taken only at the very start and end. Anything else (backreferences,
 * lookaround, word boundaries, flags, possessive quantifiers, {@code \p{…}}) is refused with the
 * position of the construct, never approximated.
 *
 * <p>Where the two dialects differ the generated set is the narrower one: {@code \s} is the six
 * ASCII spaces, {@code \S} excludes Unicode spaces as well, {@code .} excludes every line terminator.
 */
final class RegexParser {

    /** The characters {@code .} does not match (java.util.regex without DOTALL). */
    static final CharSet LINE_TERMINATORS = CharSet.ofChars("\n\r\u0085\u2028\u2029");
    static final CharSet DIGITS = CharSet.of('0', '9');
    static final CharSet WORD = CharSet.of('a', 'z').union(CharSet.of('A', 'Z')).union(DIGITS).union(CharSet.ofChar('_'));
    static final CharSet SPACES = CharSet.ofChars(" \t\n\u000B\f\r");
    /** Every character either dialect calls a space: {@code \S} avoids them all. */
    static final CharSet ANY_SPACE = SPACES.union(CharSet.ofChars(
            "\u0085\u00A0\u1680\u2028\u2029\u202F\u205F\u3000\uFEFF")).union(CharSet.of(0x2000, 0x200A));
    private static final int MAX_REPEAT = 1000;

    /** A parsed pattern and whether it was anchored at either end. */
    record Parsed(Rx rx, boolean anchoredStart, boolean anchoredEnd) {
    }

    private final String pattern;
    private int pos;

    private RegexParser(String pattern) {
        this.pattern = pattern;
    }

    static Parsed parse(String pattern) {
        RegexParser p = new RegexParser(pattern);
        boolean start = p.eat('^');
        Rx rx = p.alternation();
        boolean end = false;
        if (p.peek() == '$') {
            p.pos++;
            end = true;
        }
        if (p.pos < pattern.length()) {
            throw p.error(p.peek() == ')' ? "unbalanced ')'" : p.peek() == '$' || p.peek() == '^'
                    ? "anchors (^, $) are supported only at the start and end" : "unexpected '" + (char) p.peek() + "'");
        }
        return new Parsed(rx, start, end);
    }

    private Rx alternation() {
        List<Rx> options = new ArrayList<>();
        options.add(sequence());
        while (eat('|')) {
            options.add(sequence());
        }
        return Rx.alt(options);
    }

    private Rx sequence() {
        List<Rx> items = new ArrayList<>();
        while (pos < pattern.length()) {
            int c = peek();
            if (c == '|' || c == ')') {
                break;
            }
            if (c == '$' && pos == pattern.length() - 1) {
                break;
            }
            items.add(quantified(atom()));
        }
        return items.size() == 1 ? items.getFirst() : new Rx.Seq(items);
    }

    private Rx quantified(Rx atom) {
        while (pos < pattern.length()) {
            int c = peek();
            int min;
            int max;
            int at = pos;
            if (c == '*') {
                pos++;
                min = 0;
                max = -1;
            } else if (c == '+') {
                pos++;
                min = 1;
                max = -1;
            } else if (c == '?') {
                pos++;
                min = 0;
                max = 1;
            } else if (c == '{' && isBraceQuantifier()) {
                pos++;
                min = number();
                max = min;
                if (eat(',')) {
                    max = peek() == '}' ? -1 : number();
                }
                expect('}');
                if (max >= 0 && max < min) {
                    throw new GrammarException(GrammarException.Kind.SYNTAX,
                            "repetition {" + min + "," + max + "} has its maximum below its minimum at position " + at, at);
                }
                if (Math.max(min, max) > MAX_REPEAT) {
                    throw new GrammarException(GrammarException.Kind.TOO_LARGE,
                            "repetition counts above " + MAX_REPEAT + " are not supported (position " + at + ")", at);
                }
            } else {
                return atom;
            }
            if (eat('+')) {
                pos--;
                throw error("possessive quantifiers are not supported");
            }
            eat('?');   // lazy: the same set of strings
            atom = new Rx.Repeat(atom, min, max);
        }
        return atom;
    }

    private boolean isBraceQuantifier() {
        int i = pos + 1;
        int digits = 0;
        while (i < pattern.length() && Character.isDigit(pattern.charAt(i))) {
            i++;
            digits++;
        }
        if (digits == 0) {
            return false;
        }
        if (i < pattern.length() && pattern.charAt(i) == ',') {
            i++;
            while (i < pattern.length() && Character.isDigit(pattern.charAt(i))) {
                i++;
            }
        }
        return i < pattern.length() && pattern.charAt(i) == '}';
    }

    private int number() {
        int start = pos;
        while (pos < pattern.length() && Character.isDigit(pattern.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw error("a number was expected");
        }
        try {
            return Integer.parseInt(pattern.substring(start, pos));
        } catch (NumberFormatException e) {
            pos = start;
            throw new GrammarException(GrammarException.Kind.TOO_LARGE,
                    "repetition count too large at position " + start, start);
        }
    }

    private Rx atom() {
        int c = peek();
        switch (c) {
            case '(' -> {
                int open = pos;
                pos++;
                if (eat('?')) {
                    if (eat(':')) {
                        // non-capturing group
                    } else if (peek() == '<' && pos + 1 < pattern.length()
                            && Character.isLetter(pattern.charAt(pos + 1))) {
                        pos++;
                        while (pos < pattern.length() && Character.isLetterOrDigit(pattern.charAt(pos))) {
                            pos++;
                        }
                        expect('>');
                    } else {
                        pos -= 2;
                        throw error("lookaround, flags and other (?…) groups are not supported");
                    }
                }
                Rx inner = alternation();
                if (!eat(')')) {
                    throw new GrammarException(GrammarException.Kind.SYNTAX,
                            "the group opened at position " + open + " is never closed", open);
                }
                return inner;
            }
            case '[' -> {
                return Rx.chars(charClass());
            }
            case '.' -> {
                pos++;
                return Rx.chars(CharSet.ANY.minus(LINE_TERMINATORS));
            }
            case '\\' -> {
                return Rx.chars(escape(false));
            }
            case '*', '+', '?' -> throw error("nothing to repeat");
            case '^', '$' -> throw error("anchors (^, $) are supported only at the start and end");
            default -> {
                int cp = pattern.codePointAt(pos);
                pos += Character.charCount(cp);
                return Rx.chars(CharSet.ofChar(cp));
            }
        }
    }

    private CharSet charClass() {
        int open = pos;
        pos++;
        boolean negated = eat('^');
        CharSet set = CharSet.NONE;
        boolean first = true;
        while (true) {
            if (pos >= pattern.length()) {
                pos = open;
                throw error("unterminated character class");
            }
            int c = peek();
            if (c == ']' && !first) {
                pos++;
                break;
            }
            if (c == '[') {
                throw error("nested classes and class operations are not supported");
            }
            first = false;
            CharSet lo = classAtom();
            if (peek() == '-' && pos + 1 < pattern.length() && pattern.charAt(pos + 1) != ']') {
                int dash = pos;
                pos++;
                CharSet hi = classAtom();
                if (!isSingle(lo) || !isSingle(hi)) {
                    pos = dash;
                    throw error("a range needs a single character on each side");
                }
                if (hi.ranges()[0] < lo.ranges()[0]) {
                    pos = dash;
                    throw error("range out of order");
                }
                set = set.union(CharSet.of(lo.ranges()[0], hi.ranges()[0]));
            } else {
                set = set.union(lo);
            }
        }
        return negated ? set.complement() : set;
    }

    private static boolean isSingle(CharSet s) {
        return s.ranges().length == 2 && s.ranges()[0] == s.ranges()[1];
    }

    private CharSet classAtom() {
        if (peek() == '\\') {
            return escape(true);
        }
        int cp = pattern.codePointAt(pos);
        pos += Character.charCount(cp);
        return CharSet.ofChar(cp);
    }

    private CharSet escape(boolean inClass) {
        int at = pos;
        pos++;
        if (pos >= pattern.length()) {
            pos = at;
            throw error("a pattern cannot end with a backslash");
        }
        int c = pattern.codePointAt(pos);
        pos += Character.charCount(c);
        return switch (c) {
            case 'd' -> DIGITS;
            case 'D' -> DIGITS.complement();
            case 'w' -> WORD;
            case 'W' -> WORD.complement();
            case 's' -> SPACES;
            case 'S' -> ANY_SPACE.complement();
            case 't' -> CharSet.ofChar('\t');
            case 'n' -> CharSet.ofChar('\n');
            case 'r' -> CharSet.ofChar('\r');
            case 'f' -> CharSet.ofChar('\f');
            case 'v' -> CharSet.ofChar(0x0B);
            case '0' -> CharSet.ofChar(0);
            case 'x' -> CharSet.ofChar(hex(2, at));
            case 'u' -> CharSet.ofChar(hex(4, at));
            case 'b' -> {
                if (inClass) {
                    yield CharSet.ofChar('\b');
                }
                pos = at;
                throw error("word boundaries (\\b) are not supported");
            }
            default -> {
                if (Character.isLetterOrDigit(c)) {
                    pos = at;
                    throw error("the escape \\" + Character.toString(c) + " is not supported");
                }
                yield CharSet.ofChar(c);
            }
        };
    }

    private int hex(int digits, int at) {
        if (pos + digits > pattern.length()) {
            pos = at;
            throw error("incomplete hex escape");
        }
        try {
            int v = Integer.parseInt(pattern.substring(pos, pos + digits), 16);
            pos += digits;
            return v;
        } catch (NumberFormatException e) {
            pos = at;
            throw error("invalid hex escape");
        }
    }

    private int peek() {
        return pos < pattern.length() ? pattern.charAt(pos) : -1;
    }

    private boolean eat(char c) {
        if (peek() == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void expect(char c) {
        if (!eat(c)) {
            throw error(pos >= pattern.length() ? "missing '" + c + "'" : "expected '" + c + "'");
        }
    }

    private GrammarException error(String what) {
        return new GrammarException(GrammarException.Kind.SYNTAX, what + " at position " + pos, pos);
    }
}
