package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BpeTrainerTest {

    @Test
    void sameCorpusAndSizeGiveIdenticalBytes() {
        assertThat(BpeTrainer.train(BpeTrainer.defaultCorpus(), 700).toBytes())
                .isEqualTo(BpeTrainer.train(BpeTrainer.defaultCorpus(), 700).toBytes());
    }

    @Test
    void modelRoundTripsThroughItsBytes() {
        SentencePieceModel model = BpeTrainer.train(BpeTrainer.defaultCorpus(), 700);
        assertThat(SentencePieceModel.parse(model.toBytes())).isEqualTo(model);
    }

    @Test
    void vocabularyHasExactlyTheRequestedSize() {
        SentencePieceModel model = BpeTrainer.train(BpeTrainer.defaultCorpus(), 512);
        assertThat(model.pieces()).hasSize(512);
        assertThat(model.trainerSpec().vocabSize()).isEqualTo(512);
    }

    @Test
    void layoutIsSpecialsThenBytesThenNormalPieces() {
        List<SentencePieceModel.Piece> pieces = TestModels.trained().pieces();
        assertThat(pieces.subList(0, 4)).extracting(SentencePieceModel.Piece::piece)
                .containsExactly("<pad>", "<unk>", "<s>", "</s>");
        assertThat(pieces.subList(0, 4)).extracting(SentencePieceModel.Piece::type)
                .containsExactly(PieceType.CONTROL, PieceType.UNKNOWN, PieceType.CONTROL, PieceType.CONTROL);
        for (int b = 0; b < 256; b++) {
            assertThat(pieces.get(4 + b)).isEqualTo(new SentencePieceModel.Piece(String.format("<0x%02X>", b), 0,
                    PieceType.BYTE));
        }
        assertThat(pieces.subList(260, pieces.size())).allMatch(p -> p.type() == PieceType.NORMAL);
    }

    @Test
    void specsDescribeAByteFallbackBpeModelWithIdentityNormalization() {
        SentencePieceModel model = TestModels.trained();
        TrainerSpec t = model.trainerSpec();
        assertThat(t.modelType()).isEqualTo(TrainerSpec.ModelType.BPE);
        assertThat(t.byteFallback()).isTrue();
        assertThat(List.of(t.pad().id(), t.unk().id(), t.bos().id(), t.eos().id())).containsExactly(0, 1, 2, 3);
        assertThat(model.normalizerSpec()).isEqualTo(NormalizerSpec.identity(true, false, true));
    }

    @Test
    void digitsAreNeverMerged() {
        assertThat(TestModels.trained().pieces()).filteredOn(p -> p.type() == PieceType.NORMAL)
                .extracting(SentencePieceModel.Piece::piece)
                .filteredOn(p -> p.chars().anyMatch(c -> c >= '0' && c <= '9'))
                .isNotEmpty()
                .allMatch(p -> p.length() == 1);
    }

    @Test
    void frequentWordsBecomeSinglePieces() {
        SentencePieceTokenizer tokenizer = TestModels.tokenizer();
        assertThat(tokenizer.encodeRaw("the")).containsExactly(TestModels.id(tokenizer, "▁the"));
        assertThat(tokenizer.encodeRaw("the and")).containsExactly(TestModels.id(tokenizer, "▁the"),
                TestModels.id(tokenizer, "▁and"));
    }

    @Test
    void mergesScoreByRankSoTheEncoderAppliesThemInLearnedOrder() {
        List<SentencePieceModel.Piece> pieces = TestModels.trained().pieces();
        List<SentencePieceModel.Piece> merged = pieces.stream().filter(p -> p.piece().codePointCount(0, p.piece().length()) > 1
                && p.type() == PieceType.NORMAL).toList();
        for (int k = 0; k < merged.size(); k++) {
            assertThat(merged.get(k).score()).isEqualTo(-k);
        }
    }

    @Test
    void sizeBelowSpecialsBytesAndCharactersIsRejected() {
        assertThatThrownBy(() -> BpeTrainer.train("abc abd", 262))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 265");
    }

    @Test
    void sizeBeyondWhatTheCorpusCanMergeIsRejected() {
        assertThatThrownBy(() -> BpeTrainer.train("abc abd", 300))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runs out of merges");
    }

    @Test
    void defaultCorpusIsAFewKilobytesOfText() {
        assertThat(BpeTrainer.defaultCorpus()).hasSizeBetween(4_000, 20_000).contains("The ");
    }
}
