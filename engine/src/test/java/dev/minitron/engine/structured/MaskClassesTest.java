package dev.minitron.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Property tests of what makes masks cheap, on random regexes and random vocabularies: every
 * state's mask, shared with its mask class and found with the walk's shortcuts, is exactly the
 * per-state definition; and the minimized automaton has no two equivalent states.
 */
class MaskClassesTest {

    /** Characters of the random regexes and vocabularies: a quote, a space, a two-byte letter, a CJK one. */
    private static final String ALPHABET = "abx0\" é中";

    @Test
    void classSharedMasksEqualPerStateMasks() {
        SplittableRandom rng = new SplittableRandom(20261207);
        List<String> mismatches = new ArrayList<>();
        int grammars = 0;
        for (int v = 0; v < 8; v++) {
            TokenVocabulary vocab = new TokenVocabulary(vocabulary(rng, 400 + rng.nextInt(1200), 1 + rng.nextInt(12)), 2);
            for (int g = 0; g < 12; g++) {
                String regex = regex(rng, 3);
                ByteDfa dfa;
                try {
                    dfa = ByteDfa.of(RegexParser.parse(regex).rx());
                } catch (GrammarException empty) {
                    continue;
                }
                grammars++;
                TokenGrammar grammar = new TokenGrammar(dfa, vocab);
                for (int state = 0; state < dfa.numStates(); state++) {
                    TokenMask shared = grammar.mask(state);
                    TokenMask plain = vocab.allowed(dfa, null, state);
                    for (int id = 0; id < vocab.size(); id++) {
                        byte[] b = vocab.bytesOf(id);
                        boolean expected = id == vocab.eosId() ? dfa.isAccepting(state) : b.length > 0 && dfa.walk(state, b) >= 0;
                        if (shared.allows(id) != expected || plain.allows(id) != expected) {
                            mismatches.add(regex + " state " + state + " token " + id);
                        }
                    }
                }
                assertThat(grammar.numMaskClasses()).isLessThanOrEqualTo(dfa.numStates());
            }
        }
        assertThat(grammars).isGreaterThan(60);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void countingStatesShareAMaskOnlyBeyondTheLongestToken() {
        byte[][] pieces = new byte[24][];
        pieces[0] = new byte[0];   // EOS
        pieces[1] = "\"".getBytes(StandardCharsets.UTF_8);
        for (int k = 1; k < 23; k++) {
            pieces[k + 1] = "a".repeat(k).getBytes(StandardCharsets.UTF_8);   // the longest: 22 bytes
        }
        TokenVocabulary vocab = new TokenVocabulary(pieces, 0);
        ByteDfa dfa = ByteDfa.of(RegexParser.parse("[ab]{0,40}\"").rx());
        TokenGrammar grammar = new TokenGrammar(dfa, vocab);
        for (int state = 0; state < dfa.numStates(); state++) {
            for (int id = 1; id < pieces.length; id++) {
                assertThat(grammar.mask(state).allows(id)).as("state %d token %d", state, id)
                        .isEqualTo(dfa.walk(state, pieces[id]) >= 0);
            }
        }
        // 41 counting states + the end: those with 22 or more characters left share one mask
        assertThat(dfa.numStates()).isEqualTo(42);
        assertThat(grammar.numMaskClasses()).isEqualTo(42 - 19 + 1);
        // past the work limit, no sharing: one class per state
        MaskClasses unshared = MaskClasses.of(dfa, 22, 100);
        assertThat(unshared.size()).isEqualTo(42);
        for (int state = 0; state < dfa.numStates(); state++) {
            assertThat(unshared.representative(unshared.keyOf(state))).isEqualTo(state);
        }
    }

    @Test
    void minimizedAutomataHaveNoEquivalentStates() {
        SplittableRandom rng = new SplittableRandom(18);
        for (int g = 0; g < 150; g++) {
            String regex = regex(rng, 3);
            ByteDfa dfa;
            try {
                dfa = ByteDfa.of(RegexParser.parse(regex).rx());
            } catch (GrammarException empty) {
                continue;
            }
            assertThat(mooreClasses(dfa)).as(regex).isEqualTo(dfa.numStates());
        }
    }

    /** Moore's refinement to its fixpoint, from {accepting, not}: the number of distinguishable states. */
    private static int mooreClasses(ByteDfa dfa) {
        int n = dfa.numStates();
        int[] cls = new int[n];
        for (int s = 0; s < n; s++) {
            cls[s] = dfa.isAccepting(s) ? 1 : 0;
        }
        int count = -1;
        while (true) {
            java.util.Map<java.nio.IntBuffer, Integer> ids = new java.util.HashMap<>();
            int[] refined = new int[n];
            for (int s = 0; s < n; s++) {
                int[] sig = new int[dfa.numByteClasses() + 1];
                sig[0] = cls[s];
                for (int c = 0; c < dfa.numByteClasses(); c++) {
                    int t = dfa.nextByClass(s, c);
                    sig[c + 1] = t < 0 ? -1 : cls[t];
                }
                refined[s] = ids.computeIfAbsent(java.nio.IntBuffer.wrap(sig), k -> ids.size());
            }
            cls = refined;
            if (ids.size() == count) {
                return count;
            }
            count = ids.size();
        }
    }

    /** A random regex over {@link #ALPHABET}: literals, classes, groups, alternation, counted repetition. */
    private static String regex(SplittableRandom rng, int depth) {
        int kind = depth == 0 ? rng.nextInt(3) : rng.nextInt(7);
        return switch (kind) {
            case 0 -> String.valueOf(ALPHABET.charAt(rng.nextInt(ALPHABET.length())));
            case 1 -> "[^\"]";
            case 2 -> "[a-x]";
            case 3 -> regex(rng, depth - 1) + regex(rng, depth - 1);
            case 4 -> "(" + regex(rng, depth - 1) + "|" + regex(rng, depth - 1) + ")";
            case 5 -> {
                int min = rng.nextInt(4);
                yield "(" + regex(rng, depth - 1) + "){" + min + "," + (min + rng.nextInt(20)) + "}";
            }
            default -> "(" + regex(rng, depth - 1) + ")" + (rng.nextBoolean() ? "*" : "+");
        };
    }

    /** Control pieces (2 is EOS), the 256 byte pieces, then random pieces of up to {@code maxChars} characters. */
    private static byte[][] vocabulary(SplittableRandom rng, int size, int maxChars) {
        byte[][] v = new byte[size + 260][];
        v[0] = "?".getBytes(StandardCharsets.UTF_8);
        v[1] = new byte[0];
        v[2] = new byte[0];
        v[3] = new byte[0];
        for (int b = 0; b < 256; b++) {
            v[4 + b] = new byte[] {(byte) b};
        }
        for (int id = 260; id < v.length; id++) {
            StringBuilder s = new StringBuilder();
            int len = 1 + rng.nextInt(maxChars);
            String letters = rng.nextBoolean() ? "ab" : ALPHABET;   // large subtrees of plain letters, as words make
            for (int i = 0; i < len; i++) {
                s.append(letters.charAt(rng.nextInt(letters.length())));
            }
            v[id] = s.toString().getBytes(StandardCharsets.UTF_8);
        }
        return v;
    }
}
