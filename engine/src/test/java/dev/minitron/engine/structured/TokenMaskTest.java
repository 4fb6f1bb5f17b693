package dev.minitron.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The grammar's masks (shared per mask class, found by the trie walk with its shortcuts) against the
 * plain definition: token t is allowed iff its bytes walk the DFA.
 */
class TokenMaskTest {

    private static final List<StructuredOutputsParams> GRAMMARS = List.of(
            StructuredOutputsParams.json("""
                    {"type":"object","properties":{"name":{"type":"string","maxLength":5},"n":{"type":"integer"},
                     "tags":{"type":"array","items":{"enum":["x","yz"]}}},"required":["name"]}"""),
            StructuredOutputsParams.anyJsonObject(),
            StructuredOutputsParams.regex("[a-z ]{3,}\\d?"),
            StructuredOutputsParams.choice(List.of("yes", "no", " maybe")),
            StructuredOutputsParams.grammar("root ::= (\"ab\" | [0-9]+)* \"!\""));

    @Test
    void masksAreExactlyTheTokensWhoseBytesTheAutomatonReads() {
        TokenVocabulary vocab = new TokenVocabulary(vocabulary(3000, 5), 2);
        SplittableRandom rng = new SplittableRandom(11);
        List<String> mismatches = new java.util.ArrayList<>();
        for (StructuredOutputsParams p : GRAMMARS) {
            TokenGrammar grammar = new GrammarCompiler(vocab).compile(p);
            ByteDfa dfa = ByteDfa.of(GrammarCompiler.language(p));
            for (int trial = 0; trial < 40; trial++) {
                int state = rng.nextInt(dfa.numStates());
                TokenMask mask = grammar.mask(state);
                float[] logits = new float[vocab.size()];
                mask.applyTo(logits);
                int count = 0;
                for (int id = 0; id < vocab.size(); id++) {
                    byte[] b = vocab.bytesOf(id);
                    boolean expected = id == vocab.eosId() ? dfa.isAccepting(state) : b.length > 0 && dfa.walk(state, b) >= 0;
                    if (mask.allows(id) != expected || (logits[id] == 0f) != expected) {
                        mismatches.add(p.kind() + " state " + state + " token " + id);
                    }
                    count += expected ? 1 : 0;
                }
                assertThat(mask.count()).isEqualTo(count);
                int[] packed = new int[(vocab.size() + 31) / 32];
                mask.packInto(packed, 0);
                for (int id = 0; id < vocab.size(); id++) {
                    if (((packed[id >>> 5] >>> (id & 31) & 1) == 1) != mask.allows(id)) {
                        mismatches.add(p.kind() + " packed bit of token " + id);
                    }
                }
            }
            assertThat(grammar.numStates()).isEqualTo(dfa.numStates());
        }
        assertThat(mismatches).isEmpty();
    }

    /** Control pieces, byte pieces, then random short pieces over an alphabet the grammars use. */
    static byte[][] vocabulary(int size, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        String alphabet = "abxyz{}[]\":, 0123456789!\\né";
        byte[][] v = new byte[size][];
        v[0] = "?".getBytes(StandardCharsets.UTF_8);
        v[1] = new byte[0];
        v[2] = new byte[0];
        v[3] = new byte[0];
        for (int b = 0; b < 256; b++) {
            v[4 + b] = new byte[] {(byte) b};
        }
        for (int id = 260; id < size; id++) {
            StringBuilder s = new StringBuilder();
            int len = 1 + rng.nextInt(6);
            for (int i = 0; i < len; i++) {
                s.append(alphabet.charAt(rng.nextInt(alphabet.length())));
            }
            v[id] = s.toString().getBytes(StandardCharsets.UTF_8);
        }
        return Arrays.copyOf(v, size);
    }
}
