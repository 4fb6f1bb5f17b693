package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IncrementalDetokenizerTest {

    private final SentencePieceTokenizer tokenizer = TestModels.tokenizer();

    @Test
    void emojiSplitOverByteTokensIsHeldBackThenReleasedWhole() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        int[] bytes = {byteId(0xF0), byteId(0x9F), byteId(0x98), byteId(0x80)}; // U+1F600

        assertThat(detok.push(TestModels.id(tokenizer, "▁the"))).isEqualTo(" the");
        for (int i = 0; i < 3; i++) {
            assertThat(detok.push(bytes[i])).isEmpty();
            assertThat(detok.hasPending()).isTrue();
        }
        assertThat(detok.push(bytes[3])).isEqualTo("😀");
        assertThat(detok.hasPending()).isFalse();
    }

    @Test
    void byteFallbackEncodingOfAnEmojiStreamsBackToIt() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        StringBuilder out = new StringBuilder();
        for (int id : tokenizer.encodeRaw("smile 😀 ok")) {
            out.append(detok.push(id));
        }
        assertThat(out.append(detok.flush())).hasToString(" smile 😀 ok");
    }

    @Test
    void flushOfADanglingPartialSequenceGivesReplacementCharacter() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        assertThat(detok.push(byteId(0xE2))).isEmpty();
        assertThat(detok.push(byteId(0x82))).isEmpty();
        assertThat(detok.flush()).isEqualTo("\uFFFD");
        assertThat(detok.hasPending()).isFalse();
    }

    @Test
    void malformedByteIsReleasedAtOnceAsReplacementCharacter() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        assertThat(detok.push(byteId(0xFF))).isEqualTo("\uFFFD");
        assertThat(detok.push(byteId(0xE2))).isEmpty();
        assertThat(detok.push(TestModels.id(tokenizer, "a"))).isEqualTo("\uFFFDa");
    }

    @Test
    void controlTokensContributeNothing() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        assertThat(detok.push(tokenizer.bosId())).isEmpty();
        assertThat(detok.push(tokenizer.eosId())).isEmpty();
        assertThat(detok.hasPending()).isFalse();
    }

    @Test
    void concatenatedOutputEqualsUtf8DecodingOfAllTokenBytes() {
        Random random = new Random(7);
        for (int trial = 0; trial < 2000; trial++) {
            IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            StringBuilder streamed = new StringBuilder();
            int length = random.nextInt(24);
            for (int i = 0; i < length; i++) {
                int id = random.nextInt(4) > 0 ? byteId(utf8ishByte(random)) : random.nextInt(tokenizer.vocabSize());
                all.writeBytes(tokenizer.tokenBytes(id));
                streamed.append(detok.push(id));
            }
            streamed.append(detok.flush());
            assertThat(streamed).as("token bytes %s", java.util.HexFormat.ofDelimiter(" ").formatHex(all.toByteArray()))
                    .hasToString(new String(all.toByteArray(), StandardCharsets.UTF_8));
        }
    }

    /** Mostly bytes that form or almost form multi-byte sequences, with edge leads like E0, ED, F4. */
    private static int utf8ishByte(Random random) {
        int[] interesting = {0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE2, 0xED, 0xEF,
            0xF0, 0xF4, 0xF5, 0xFF};
        return random.nextBoolean() ? interesting[random.nextInt(interesting.length)] : random.nextInt(256);
    }

    private int byteId(int b) {
        return TestModels.id(tokenizer, String.format("<0x%02X>", b));
    }
}
