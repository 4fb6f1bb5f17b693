package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Grammars in GBNF, the EBNF dialect of llama.cpp (and of vLLM's {@code structured_outputs.grammar}
 * with the xgrammar backend): rules {@code name ::= body}, string literals, character classes,
 * {@code .}, grouping, alternation and {@code * + ? {m} {m,} {m,n}}; {@code #} starts a comment. The
 * start rule is {@code root}. A rule may refer to itself; recursion is unrolled
 * {@value #MAX_RECURSION} levels deep, so nesting deeper than that is never generated (repetition
 * with {@code *} and {@code +} has no such limit). Errors name the position in the grammar text.
 */
final class GbnfParser {

    static final int MAX_RECURSION = 6;
    private static final int MAX_EXPANDED_NODES = 200_000;

    private sealed interface Node {
    }

    private record Ref(String name, int pos) implements Node {
    }

    private record Leaf(Rx rx) implements Node {
    }

    private record Seq(List<Node> items) implements Node {
    }

    private record Alt(List<Node> options) implements Node {
    }

    private record Rep(Node body, int min, int max) implements Node {
    }

    private final String text;
    private int pos;
    private final Map<String, Node> rules = new LinkedHashMap<>();
    private final Map<String, Integer> active = new HashMap<>();
    private int expanded;

    private GbnfParser(String text) {
        this.text = text;
    }

    static Rx parse(String grammar) {
        GbnfParser p = new GbnfParser(grammar);
        p.rules();
        if (!p.rules.containsKey("root")) {
            throw new GrammarException(GrammarException.Kind.SYNTAX, "grammar: no rule named root", 0);
        }
        return p.expand(new Ref("root", 0));
    }

    private void rules() {
        skipSpace();
        while (pos < text.length()) {
            int at = pos;
            String name = name();
            skipSpace();
            if (!text.startsWith("::=", pos)) {
                throw error("expected '::=' after the rule name");
            }
            pos += 3;
            if (rules.put(name, alternatives()) != null) {
                pos = at;
                throw error("rule '" + name + "' is defined twice");
            }
            skipSpace();
        }
    }

    private Node alternatives() {
        List<Node> options = new ArrayList<>();
        options.add(sequence());
        while (true) {
            skipSpace();
            if (peek() != '|') {
                break;
            }
            pos++;
            options.add(sequence());
        }
        return options.size() == 1 ? options.getFirst() : new Alt(options);
    }

    private Node sequence() {
        List<Node> items = new ArrayList<>();
        while (true) {
            skipSpace();
            int c = peek();
            if (c < 0 || c == '|' || c == ')' || atRuleStart()) {
                break;
            }
            items.add(postfix(primary()));
        }
        return items.size() == 1 ? items.getFirst() : new Seq(items);
    }

    private boolean atRuleStart() {
        int save = pos;
        try {
            if (!isNameChar(peek())) {
                return false;
            }
            name();
            skipSpace();
            return text.startsWith("::=", pos);
        } finally {
            pos = save;
        }
    }

    private Node postfix(Node node) {
        while (true) {
            int c = peek();
            if (c == '*') {
                pos++;
                node = new Rep(node, 0, -1);
            } else if (c == '+') {
                pos++;
                node = new Rep(node, 1, -1);
            } else if (c == '?') {
                pos++;
                node = new Rep(node, 0, 1);
            } else if (c == '{') {
                int at = pos;
                pos++;
                skipSpace();
                int min = number();
                int max = min;
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    skipSpace();
                    max = Character.isDigit(peek()) ? number() : -1;
                    skipSpace();
                }
                if (peek() != '}') {
                    throw error("expected '}'");
                }
                pos++;
                if (max >= 0 && max < min) {
                    pos = at;
                    throw error("repetition maximum below its minimum");
                }
                node = new Rep(node, min, max);
            } else {
                return node;
            }
        }
    }

    private Node primary() {
        int c = peek();
        int at = pos;
        if (c == '"') {
            pos++;
            List<Rx> chars = new ArrayList<>();
            while (peek() != '"') {
                if (peek() < 0) {
                    pos = at;
                    throw error("unterminated string literal");
                }
                chars.add(Rx.chars(CharSet.ofChar(character())));
            }
            pos++;
            return new Leaf(new Rx.Seq(chars));
        }
        if (c == '[') {
            return new Leaf(Rx.chars(charClass()));
        }
        if (c == '.') {
            pos++;
            return new Leaf(Rx.chars(CharSet.ANY));
        }
        if (c == '(') {
            pos++;
            Node inner = alternatives();
            skipSpace();
            if (peek() != ')') {
                throw error("expected ')'");
            }
            pos++;
            return inner;
        }
        if (isNameChar(c)) {
            return new Ref(name(), at);
        }
        throw error(c < 0 ? "unexpected end of the grammar" : "unexpected '" + (char) c + "'");
    }

    private CharSet charClass() {
        int at = pos;
        pos++;
        boolean negated = peek() == '^';
        if (negated) {
            pos++;
        }
        CharSet set = CharSet.NONE;
        while (peek() != ']') {
            if (peek() < 0) {
                pos = at;
                throw error("unterminated character class");
            }
            int lo = character();
            int hi = lo;
            if (peek() == '-' && pos + 1 < text.length() && text.charAt(pos + 1) != ']') {
                pos++;
                hi = character();
                if (hi < lo) {
                    throw error("range out of order");
                }
            }
            set = set.union(CharSet.of(lo, hi));
        }
        pos++;
        return negated ? set.complement() : set;
    }

    private int character() {
        int c = text.codePointAt(pos);
        if (c != '\\') {
            pos += Character.charCount(c);
            return c;
        }
        int at = pos;
        pos++;
        int e = peek();
        pos++;
        return switch (e) {
            case 'n' -> '\n';
            case 't' -> '\t';
            case 'r' -> '\r';
            case '\\', '"', '[', ']', '-', '^' -> e;
            case 'x' -> hex(2, at);
            case 'u' -> hex(4, at);
            case 'U' -> hex(8, at);
            default -> {
                pos = at;
                throw error("unknown escape");
            }
        };
    }

    private int hex(int digits, int at) {
        if (pos + digits > text.length()) {
            pos = at;
            throw error("incomplete hex escape");
        }
        try {
            int v = Integer.parseInt(text.substring(pos, pos + digits), 16);
            pos += digits;
            return v;
        } catch (NumberFormatException e) {
            pos = at;
            throw error("invalid hex escape");
        }
    }

    private int number() {
        int start = pos;
        while (Character.isDigit(peek())) {
            pos++;
        }
        if (start == pos) {
            throw error("a number was expected");
        }
        if (pos - start > 4) {
            pos = start;
            throw new GrammarException(GrammarException.Kind.TOO_LARGE, "grammar: repetition count too large at position " + pos, pos);
        }
        return Integer.parseInt(text.substring(start, pos));
    }

    private String name() {
        int start = pos;
        while (isNameChar(peek())) {
            pos++;
        }
        if (start == pos) {
            throw error("a rule name was expected");
        }
        return text.substring(start, pos);
    }

    private static boolean isNameChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else {
                return;
            }
        }
    }

    private int peek() {
        return pos < text.length() ? text.charAt(pos) : -1;
    }

    private Rx expand(Node node) {
        if (++expanded > MAX_EXPANDED_NODES) {
            throw new GrammarException(GrammarException.Kind.TOO_LARGE, "grammar: its recursion unrolls to more than "
                    + MAX_EXPANDED_NODES + " nodes", -1);
        }
        return switch (node) {
            case Leaf l -> l.rx();
            case Seq s -> new Rx.Seq(s.items().stream().map(this::expand).toList());
            case Alt a -> new Rx.Alt(a.options().stream().map(this::expand).toList());
            case Rep r -> new Rx.Repeat(expand(r.body()), r.min(), r.max());
            case Ref r -> {
                Node body = rules.get(r.name());
                if (body == null) {
                    throw new GrammarException(GrammarException.Kind.SYNTAX, "grammar: undefined rule '" + r.name()
                            + "' at position " + r.pos(), r.pos());
                }
                int depth = active.getOrDefault(r.name(), 0);
                if (depth >= MAX_RECURSION) {
                    yield Rx.NOTHING;
                }
                active.put(r.name(), depth + 1);
                try {
                    yield expand(body);
                } finally {
                    active.put(r.name(), depth);
                }
            }
        };
    }

    private GrammarException error(String what) {
        return new GrammarException(GrammarException.Kind.SYNTAX, "grammar: " + what + " at position " + pos, pos);
    }
}
