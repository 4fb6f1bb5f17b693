package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hostile input for the tokenizer (issue 9, docs/reliability.md): random bytes, control characters,
 * lone surrogates, huge runs, random ids. Every case must finish, throw nothing, and give ids inside
 * the vocabulary; text that is valid UTF-8 must come back unchanged through encode → decode (the
 * byte-fallback promise). Numbers of cases are stated so the reliability table can quote them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenizerFuzzTest {

    static final int STRING_CASES = 10_000;
    static final int BYTE_CASES = 10_000;
    static final int DECODE_CASES = 10_000;

    private SentencePieceTokenizer tokenizer;

    @BeforeAll
    void load() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/spm32k.model")) {
            tokenizer = new SentencePieceTokenizer(SentencePieceModel.parse(in.readAllBytes()));
        }
    }

    @Test
    void randomTextEncodesInsideTheVocabularyAndRoundTrips() {
        SplittableRandom rnd = new SplittableRandom(20261127);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int roundTrips = 0;
            for (int i = 0; i < STRING_CASES; i++) {
                String s = randomText(rnd);
                int[] ids = tokenizer.encodeRaw(s);
                assertInVocab(ids);
                String back = tokenizer.decode(ids);
                if (isWellFormed(s) && !s.isEmpty() && !s.startsWith(" ")) {
                    assertThat(back).as("case %d", i).isEqualTo(s);
                    roundTrips++;
                }
            }
            assertThat(roundTrips).as("well-formed cases checked").isGreaterThan(STRING_CASES / 10);
        });
    }

    @Test
    void randomBytesIncludingInvalidUtf8NeverThrow() {
        SplittableRandom rnd = new SplittableRandom(7);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < BYTE_CASES; i++) {
                byte[] b = new byte[rnd.nextInt(rnd.nextInt(8) == 0 ? 4096 : 64)];
                for (int j = 0; j < b.length; j++) {
                    b[j] = (byte) rnd.nextInt(256);
                }
                int[] ids = tokenizer.encodeRawUtf8(b);
                assertInVocab(ids);
                assertThat(tokenizer.decode(ids)).isNotNull();
            }
        });
    }

    @Test
    void randomIdSequencesDecodeAndStream() {
        SplittableRandom rnd = new SplittableRandom(11);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < DECODE_CASES; i++) {
                int[] ids = rnd.ints(rnd.nextInt(200), 0, tokenizer.vocabSize()).toArray();
                String whole = tokenizer.decode(ids);
                IncrementalDetokenizer stream = new IncrementalDetokenizer(tokenizer);
                StringBuilder streamed = new StringBuilder();
                for (int id : ids) {
                    streamed.append(stream.push(id));
                }
                streamed.append(stream.flush());
                assertThat(whole).isNotNull();
                assertThat(streamed.toString().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4 * 200 * 64);
            }
        });
    }

    private void assertInVocab(int[] ids) {
        for (int id : ids) {
            assertThat(id).isBetween(0, tokenizer.vocabSize() - 1);
        }
    }

    /** Text from a mix of alphabets, control characters, lone surrogates, emoji and long runs. */
    private static String randomText(SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder();
        int n = rnd.nextInt(rnd.nextInt(10) == 0 ? 2000 : 40);
        for (int i = 0; i < n; i++) {
            switch (rnd.nextInt(9)) {
                case 0 -> sb.append((char) rnd.nextInt(0x20));                      // control characters, NUL
                case 1 -> sb.append((char) (0xD800 + rnd.nextInt(0x800)));           // lone surrogates
                case 2 -> sb.appendCodePoint(0x1F300 + rnd.nextInt(0x300));          // emoji
                case 3 -> sb.append((char) (0x4E00 + rnd.nextInt(0x5000)));          // CJK
                case 4 -> sb.append(" ".repeat(1 + rnd.nextInt(rnd.nextInt(20) == 0 ? 500 : 4)));
                case 5 -> sb.append("\u200B\uFEFF\u00AD".charAt(rnd.nextInt(3)));   // invisible characters
                case 6 -> sb.appendCodePoint(rnd.nextInt(0x110000));                 // anything
                default -> sb.append((char) ('a' + rnd.nextInt(26)));
            }
        }
        return sb.toString();
    }

    private static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
