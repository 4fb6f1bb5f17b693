package dev.minitron.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The regex automaton against java.util.regex, the reference matcher, on random strings. */
class RegexAutomatonTest {

    private static final List<String> PATTERNS = List.of(
            "[a-c]+x?", "(ab|a)*b", "\\d{3}-\\d{2,4}", "[^a-c]{1,3}", "(?:yes|no|maybe)", "a.c",
            "[A-Za-z_][A-Za-z0-9_]{0,5}", "\\w+@\\w+\\.(com|org)", "(0|[1-9][0-9]*)(\\.[0-9]+)?", "é+ü?",
            "\\s*[+-]?\\d+\\s*", "(a|b){2}(c|d){0,2}", "[\\-a]+", "x*y*z*", "(?<word>[a-b]+)\\.", "\\S\\W\\D",
            "[^\\n]{2}", "\\u00e9|\\x41");
    /** Characters the patterns talk about, plus a few they do not. */
    private static final String ALPHABET = "abcdxyzABZ_019-+.@ \n\t\u00e9\u00fc€😀";

    @Test
    void agreesWithJavaRegexOnRandomStrings() {
        SplittableRandom rng = new SplittableRandom(18);
        int[] alphabet = ALPHABET.codePoints().toArray();
        for (String pattern : PATTERNS) {
            ByteDfa dfa = ByteDfa.of(RegexParser.parse(pattern).rx());
            Pattern reference = Pattern.compile(pattern);
            for (int i = 0; i < 3000; i++) {
                StringBuilder s = new StringBuilder();
                int len = rng.nextInt(8);
                for (int k = 0; k < len; k++) {
                    s.appendCodePoint(alphabet[rng.nextInt(alphabet.length)]);
                }
                String text = s.toString();
                assertThat(dfa.matches(text.getBytes(StandardCharsets.UTF_8)))
                        .as("%s on \"%s\"", pattern, text)
                        .isEqualTo(reference.matcher(text).matches());
            }
        }
    }

    @Test
    void everyStringOfTheAutomatonIsWellFormedUtf8AndMatches() {
        SplittableRandom rng = new SplittableRandom(7);
        for (String pattern : PATTERNS) {
            ByteDfa dfa = ByteDfa.of(RegexParser.parse(pattern).rx());
            DfaWalker walker = new DfaWalker(dfa);
            Pattern reference = Pattern.compile(pattern);
            for (int i = 0; i < 300; i++) {
                byte[] bytes = walker.walk(rng, 12);
                String text = new String(bytes, StandardCharsets.UTF_8);
                assertThat(text.getBytes(StandardCharsets.UTF_8)).as("well-formed UTF-8").isEqualTo(bytes);
                assertThat(reference.matcher(text).matches()).as("%s generated \"%s\"", pattern, text).isTrue();
            }
        }
    }

    @Test
    void integerRangesAreExact() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            long a = rng.nextLong(-5000, 5000);
            long b = a + rng.nextLong(0, 3000);
            ByteDfa dfa = ByteDfa.of(IntegerRange.of(a, b));
            for (long v = a - 50; v <= b + 50; v += 1 + rng.nextInt(7)) {
                assertThat(dfa.matches(Long.toString(v).getBytes(StandardCharsets.UTF_8)))
                        .as("%d in [%d, %d]", v, a, b).isEqualTo(v >= a && v <= b);
            }
            assertThat(dfa.matches("-0".getBytes(StandardCharsets.UTF_8))).isFalse();
            assertThat(dfa.matches("007".getBytes(StandardCharsets.UTF_8))).isFalse();
        }
    }

    @Test
    void syntaxErrorsNameThePosition() {
        assertThatThrownBy(() -> RegexParser.parse("ab(c")).isInstanceOf(GrammarException.class)
                .hasMessageContaining("position 2");
        assertThatThrownBy(() -> RegexParser.parse("a(?=b)")).isInstanceOf(GrammarException.class)
                .hasMessageContaining("lookaround").hasMessageContaining("position 1");
        assertThatThrownBy(() -> RegexParser.parse("(a)\\1")).isInstanceOf(GrammarException.class)
                .hasMessageContaining("position 3");
        assertThatThrownBy(() -> RegexParser.parse("[z-a]")).isInstanceOf(GrammarException.class)
                .hasMessageContaining("range out of order");
        assertThatThrownBy(() -> RegexParser.parse("*a")).isInstanceOf(GrammarException.class)
                .hasMessageContaining("position 0");
    }
}
