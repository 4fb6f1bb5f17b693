package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IncrementalDetokenizerTest {

    private final SentencePieceTokenizer tokenizer = TestModels.tokenizer();

    @Test
    void idsPastTheTokenizersPiecesHaveNoText() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        assertThat(detok.push(TestModels.id(tokenizer, "▁the"))).isEqualTo(" the");
        assertThat(detok.push(tokenizer.vocabSize())).isEmpty();      // a padded embedding row, no piece
        assertThat(detok.push(tokenizer.vocabSize() + 200_000)).isEmpty();
        assertThat(detok.push(TestModels.id(tokenizer, "▁the"))).isEqualTo(" the");
    }

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
        assertThat(detok.flush()).isEqualTo("\uFFFD");
        assertThat(detok.hasPending()).isFalse();
    }

    @Test
    void flushGivesOneReplacementCharacterPerDanglingByteAsSentencePieceDoes() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        detok.push(byteId(0xE2));
        detok.push(byteId(0x82));
        assertThat(detok.flush()).isEqualTo("\uFFFD\uFFFD").isEqualTo(tokenizer.decode(new int[] {byteId(0xE2), byteId(0x82)}));
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
    void concatenatedOutputEqualsDecodeOfTheWholeSequence() {
        // decode() matches spm_decode (see SentencePieceParityTest); a leading "a" keeps it from
        // dropping the first piece's space, which the stream keeps. Control tokens are left out:
        // decode() lets them cut a byte run, the stream sees no bytes (controlTokenBetween... below)
        int a = TestModels.id(tokenizer, "a");
        Random random = new Random(7);
        for (int trial = 0; trial < 3000; trial++) {
            IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
            int[] ids = new int[1 + random.nextInt(24)];
            ids[0] = a;
            StringBuilder streamed = new StringBuilder();
            for (int i = 0; i < ids.length; i++) {
                if (i > 0) {
                    do {
                        ids[i] = random.nextInt(4) > 0 ? byteId(utf8ishByte(random)) : random.nextInt(tokenizer.vocabSize());
                    } while (tokenizer.tokenBytes(ids[i]).length == 0);
                }
                streamed.append(detok.push(ids[i]));
            }
            streamed.append(detok.flush());
            assertThat(streamed).as("ids %s", Arrays.toString(ids)).hasToString(tokenizer.decode(ids));
        }
    }

    @Test
    void controlTokenBetweenTheBytesOfACharacterDoesNotSplitIt() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        assertThat(detok.push(byteId(0xC3))).isEmpty();
        assertThat(detok.push(tokenizer.eosId())).isEmpty();
        assertThat(detok.push(byteId(0xA9))).isEqualTo("é");
    }

    @Test
    void wellFormedOutputEqualsJavaUtf8DecodingOfAllTokenBytes() {
        IncrementalDetokenizer detok = new IncrementalDetokenizer(tokenizer);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        StringBuilder streamed = new StringBuilder();
        for (int id : tokenizer.encodeRaw("Zürich 日本語 🇫🇷 naïve\tcafé")) {
            all.writeBytes(tokenizer.tokenBytes(id));
            streamed.append(detok.push(id));
        }
        assertThat(streamed.append(detok.flush())).hasToString(all.toString(StandardCharsets.UTF_8))
                .hasToString(" Zürich 日本語 🇫🇷 naïve\tcafé");
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
