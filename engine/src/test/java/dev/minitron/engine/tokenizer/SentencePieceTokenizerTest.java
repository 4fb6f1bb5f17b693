package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class SentencePieceTokenizerTest {

    private final SentencePieceTokenizer tokenizer = TestModels.tokenizer();

    @Test
    void tokenBytesTurnMetaSpaceIntoSpace() {
        assertThat(tokenizer.tokenBytes(TestModels.id(tokenizer, "▁the"))).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void tokenBytesOfAByteTokenIsThatByte() {
        assertThat(tokenizer.tokenBytes(TestModels.id(tokenizer, "<0xE2>"))).containsExactly((byte) 0xE2);
    }

    @Test
    void tokenBytesOfControlTokensAreEmpty() {
        assertThat(tokenizer.tokenBytes(tokenizer.bosId())).isEmpty();
        assertThat(tokenizer.tokenBytes(tokenizer.eosId())).isEmpty();
        assertThat(tokenizer.tokenBytes(0)).isEmpty();
    }

    @Test
    void emojiGoesThroughByteFallback() {
        assertThat(tokenizer.encodeRaw("😀")).containsExactly(TestModels.id(tokenizer, "▁"),
                TestModels.id(tokenizer, "<0xF0>"), TestModels.id(tokenizer, "<0x9F>"),
                TestModels.id(tokenizer, "<0x98>"), TestModels.id(tokenizer, "<0x80>"));
    }

    @Test
    void decodeDropsControlTokensAndTheDummyPrefixSpace() {
        int[] ids = tokenizer.encode("Hello world");
        assertThat(ids[0]).isEqualTo(tokenizer.bosId());
        assertThat(tokenizer.decode(ids)).isEqualTo("Hello world");
    }

    @Test
    void decodeReassemblesByteTokensIntoCharacters() {
        assertThat(tokenizer.decode(tokenizer.encodeRaw("naïve 日本 😀"))).isEqualTo("naïve 日本 😀");
    }

    @Test
    void emptyTextEncodesToNothing() {
        assertThat(tokenizer.encodeRaw("")).isEmpty();
        assertThat(tokenizer.encode("")).containsExactly(tokenizer.bosId());
    }

    @Test
    void unpairedSurrogateEncodesAsReplacementCharacter() {
        assertThat(tokenizer.encodeRaw("a\uD800b")).isEqualTo(tokenizer.encodeRaw("a\uFFFDb"));
    }

    @Test
    void idsOutsideTheVocabularyAreRejected() {
        assertThatThrownBy(() -> tokenizer.decode(new int[] {tokenizer.vocabSize()}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
        assertThatThrownBy(() -> tokenizer.tokenBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void defaultsAddBosOnlyAndTakeSpecialIdsFromTheModel() {
        assertThat(tokenizer.addsBos()).isTrue();
        assertThat(tokenizer.addsEos()).isFalse();
        assertThat(tokenizer.bosId()).isEqualTo(2);
        assertThat(tokenizer.eosId()).isEqualTo(3);
        assertThat(tokenizer.vocabSize()).isEqualTo(TestModels.VOCAB);
    }

    @Test
    void longTextEncodesInNearLinearTime() {
        String text = BpeTrainer.defaultCorpus().repeat(40).replace('\n', ' '); // ~260 KB, one "sentence"
        int[] ids = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10), () -> tokenizer.encodeRaw(text));
        assertThat(tokenizer.decode(ids)).isEqualTo(text);
    }
}
