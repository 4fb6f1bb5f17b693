package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression over characters: what every front end (JSON Schema, regex, choice, GBNF)
 * compiles to before {@link ByteNfa} turns it into bytes. Recursion in a schema or grammar is
 * unrolled to a bounded depth before it gets here, so everything is regular and ends in one DFA.
 */
public sealed interface Rx {

    /** One character from the set. */
    record Chars(CharSet set) implements Rx {
    }

    record Seq(List<Rx> items) implements Rx {
        public Seq {
            items = List.copyOf(items);
        }
    }

    record Alt(List<Rx> options) implements Rx {
        public Alt {
            options = List.copyOf(options);
        }
    }

    /** {@code body} between {@code min} and {@code max} times; {@code max} −1 for unbounded. */
    record Repeat(Rx body, int min, int max) implements Rx {
        public Repeat {
            if (min < 0 || (max >= 0 && max < min)) {
                throw new IllegalArgumentException("repeat {" + min + "," + max + "}");
            }
        }
    }

    /** A language already compiled to bytes (a length limit intersected with a pattern, say). */
    record Automaton(ByteDfa dfa) implements Rx {
    }

    /** The empty string. */
    Rx EMPTY = new Seq(List.of());
    /** No string at all: a branch that can never be taken. */
    Rx NOTHING = new Chars(CharSet.NONE);

    static Rx literal(String text) {
        List<Rx> items = new ArrayList<>();
        text.codePoints().forEach(c -> items.add(new Chars(CharSet.ofChar(c))));
        return items.size() == 1 ? items.getFirst() : new Seq(items);
    }

    static Rx seq(Rx... items) {
        return new Seq(List.of(items));
    }

    static Rx alt(List<Rx> options) {
        return options.size() == 1 ? options.getFirst() : new Alt(options);
    }

    static Rx optional(Rx body) {
        return new Repeat(body, 0, 1);
    }

    static Rx chars(CharSet set) {
        return new Chars(set);
    }
}
