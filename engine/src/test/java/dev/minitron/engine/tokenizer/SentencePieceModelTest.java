package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SentencePieceModelTest {

    private static final String[] MINITRON_LIKE = {"--model_type=bpe", "--vocab_size=700", "--byte_fallback=true",
        "--character_coverage=1.0", "--normalization_rule_name=identity", "--split_digits=true",
        "--pad_id=0", "--unk_id=1", "--bos_id=2", "--eos_id=3", "--add_dummy_prefix=true",
        "--remove_extra_whitespaces=false"};

    @TempDir
    Path dir;

    @Test
    void parseReadsTheSpecFieldsSpmTrainWrote() throws IOException {
        SpmCli.requireInstalled();
        SentencePieceModel model = SentencePieceModel.parse(Files.readAllBytes(
                SpmCli.train(dir, "m", BpeTrainer.defaultCorpus(), MINITRON_LIKE)));

        TrainerSpec t = model.trainerSpec();
        assertThat(t.modelType()).isEqualTo(TrainerSpec.ModelType.BPE);
        assertThat(t.vocabSize()).isEqualTo(700);
        assertThat(t.byteFallback()).isTrue();
        assertThat(t.splitDigits()).isTrue();
        assertThat(List.of(t.pad(), t.unk(), t.bos(), t.eos())).containsExactly(
                new TrainerSpec.SpecialPiece(0, "<pad>"), new TrainerSpec.SpecialPiece(1, "<unk>"),
                new TrainerSpec.SpecialPiece(2, "<s>"), new TrainerSpec.SpecialPiece(3, "</s>"));
        NormalizerSpec n = model.normalizerSpec();
        assertThat(n.name()).isEqualTo("identity");
        assertThat(n.addDummyPrefix()).isTrue();
        assertThat(n.removeExtraWhitespaces()).isFalse();
        assertThat(n.escapeWhitespaces()).isTrue();
        assertThat(model.pieces()).hasSize(700);
        assertThat(model.pieces().subList(0, 5)).extracting(SentencePieceModel.Piece::piece, SentencePieceModel.Piece::type)
                .containsExactly(
                        tuple("<pad>", PieceType.CONTROL),
                        tuple("<unk>", PieceType.UNKNOWN),
                        tuple("<s>", PieceType.CONTROL),
                        tuple("</s>", PieceType.CONTROL),
                        tuple("<0x00>", PieceType.BYTE));
    }

    @Test
    void rewrittenSpmModelEqualsTheOriginalForUsAndForSentencePiece() throws IOException {
        SpmCli.requireInstalled();
        Path original = SpmCli.train(dir, "m", BpeTrainer.defaultCorpus(), MINITRON_LIKE);
        SentencePieceModel model = SentencePieceModel.parse(Files.readAllBytes(original));
        Path rewritten = Files.write(dir.resolve("rewritten.model"), model.toBytes());

        assertThat(SentencePieceModel.parse(Files.readAllBytes(rewritten))).isEqualTo(model);
        List<String> lines = List.of("Hello world, 2024!", "  spaced   out  ", "emoji 😀 and 日本");
        assertThat(SpmCli.encode(rewritten, lines)).usingRecursiveComparison()
                .isEqualTo(SpmCli.encode(original, lines));
    }

    @Test
    void everyTruncationFailsClearlyExceptTheCutThatDropsTheWholeNormalizerSpec() {
        byte[] bytes = TestModels.trained().toBytes();
        int loaded = 0;
        for (int length = 0; length < bytes.length; length++) {
            try {
                new SentencePieceTokenizer(SentencePieceModel.parse(Arrays.copyOf(bytes, length)));
                loaded++; // only valid protobuf, missing a field whose proto2 default is usable
            } catch (InvalidModelException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
        // cuts between pieces lose the trainer spec (default: UNIGRAM, unsupported); the normalizer
        // spec comes last and has usable defaults, so exactly one cut yields a loadable model
        assertThat(loaded).isEqualTo(1);
    }

    @Test
    void truncationInsideAPieceNamesTheOffset() {
        byte[] bytes = TestModels.trained().toBytes();
        assertThatThrownBy(() -> SentencePieceModel.parse(Arrays.copyOf(bytes, 5)))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageMatching("corrupt protobuf: .* at byte \\d+");
    }

    @Test
    void randomBytesFailWithInvalidModelExceptionAndNothingElse() {
        Random random = new Random(42);
        for (int i = 0; i < 5000; i++) {
            byte[] junk = new byte[random.nextInt(2048)];
            random.nextBytes(junk);
            assertThatThrownBy(() -> new SentencePieceTokenizer(SentencePieceModel.parse(junk)))
                    .isInstanceOf(InvalidModelException.class);
        }
    }

    @Test
    void unigramModelIsRejectedAsUnsupported() {
        SentencePieceModel bpe = TestModels.trained();
        TrainerSpec t = bpe.trainerSpec();
        SentencePieceModel unigram = new SentencePieceModel(bpe.pieces(), new TrainerSpec(TrainerSpec.ModelType.UNIGRAM,
                t.vocabSize(), t.byteFallback(), t.splitDigits(), false, t.unk(), t.bos(), t.eos(), t.pad(),
                t.unkSurface(), new byte[0]), bpe.normalizerSpec());

        assertThatThrownBy(() -> new SentencePieceTokenizer(SentencePieceModel.parse(unigram.toBytes())))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("unsupported SentencePiece model type UNIGRAM");
    }

    @Test
    void vocabularyWithoutUnkIsRejected() {
        SentencePieceModel m = TestModels.trained();
        List<SentencePieceModel.Piece> pieces = new ArrayList<>(m.pieces());
        pieces.set(1, new SentencePieceModel.Piece("<unk>", 0, PieceType.CONTROL));

        assertThatThrownBy(() -> new SentencePieceTokenizer(new SentencePieceModel(pieces, m.trainerSpec(),
                m.normalizerSpec()))).isInstanceOf(InvalidModelException.class).hasMessageContaining("UNKNOWN");
    }

    @Test
    void missingBytePieceIsRejectedWhenByteFallbackIsOn() {
        SentencePieceModel m = TestModels.trained();
        List<SentencePieceModel.Piece> pieces = new ArrayList<>(m.pieces());
        pieces.set(4 + 0x41, new SentencePieceModel.Piece("<0x41>x", 0, PieceType.NORMAL));

        assertThatThrownBy(() -> new SentencePieceTokenizer(new SentencePieceModel(pieces, m.trainerSpec(),
                m.normalizerSpec()))).isInstanceOf(InvalidModelException.class).hasMessageContaining("<0x41>");
    }
}
