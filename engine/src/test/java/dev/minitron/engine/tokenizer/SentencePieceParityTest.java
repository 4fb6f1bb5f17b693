package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our tokenizer against SentencePiece itself ({@code spm_encode}/{@code spm_decode} 0.1.97) on
 * models written by our trainer and by {@code spm_train} with several normalizer settings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SentencePieceParityTest {

    enum ModelKind {
        /** {@link BpeTrainer}: identity, dummy prefix, spaces kept, byte fallback. */
        BPE_TRAINER,
        /** spm_train, identity rule (remove_extra_whitespaces stays on), byte fallback. */
        SPM_IDENTITY("--normalization_rule_name=identity", "--vocab_size=1000"),
        /** spm_train with its default nmt_nfkc rule: exercises the precompiled charsmap. */
        SPM_NMT_NFKC("--vocab_size=800"),
        /** spm_train without byte fallback: unknown characters become one {@code <unk>} per run. */
        SPM_UNK("--normalization_rule_name=identity", "--vocab_size=700", "--byte_fallback=false"),
        /** User-defined symbols, digits split, no dummy prefix, spaces kept. */
        SPM_USER_SYMBOLS("--normalization_rule_name=identity", "--vocab_size=700",
                "--user_defined_symbols=<sep>,[MASK],hello,▁the", "--split_digits=true", "--add_dummy_prefix=false",
                "--remove_extra_whitespaces=false"),
        /** '▁' attached to the end of words instead of the start. */
        SPM_WHITESPACE_SUFFIX("--normalization_rule_name=nfkc_cf", "--vocab_size=700", "--treat_whitespace_as_suffix=true");

        final String[] options;

        ModelKind(String... options) {
            this.options = options;
        }
    }

    private static final List<String> TEXTS = List.of(
            "Hello world",
            "The morning fog rolled in from the harbor before six o'clock.",
            "",
            " ",
            "   ",
            "a",
            "  two leading spaces",
            "trailing spaces   ",
            "several   spaces    inside",
            "tab\tseparated\tvalues\t",
            "line one\nline two",
            "\n",
            "ends with newline\n",
            "windows\r\nline end",
            "digits 1234567890 and 3.14159, year 1887",
            "café naïve résumé façade Zürich señor crème brûlée",
            "Ünïcödé ÀÉÎÕÜ ÿ",
            "日本語のテキストと中文",
            "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷",
            "unseen letters: ŋ ʃ ʒ Ω ж ק ع",
            "no-break\u00A0space and\u3000ideographic space",
            "fullwidth ＡＢＣ１２３ and ligatures ﬁ ﬂ and Ⅻ ㍿",
            "combining e\u0301 versus é",
            "control\u0001chars\u007F and zero\u200Bwidth",
            "x = add(3, 4); // returns 7",
            "<s> and </s> and <unk> and <pad> typed as text",
            "<0x41> and <sep> and [MASK] inline",
            "hello hellohello the▁the",
            "\u2581 a literal meta symbol \u2581\u2581",
            "ALL CAPS SENTENCE, WITH PUNCTUATION!!!",
            "Forests cover about a third of the land on our planet. They clean the air, hold the soil in place.");

    private final Map<ModelKind, Path> files = new EnumMap<>(ModelKind.class);
    private final Map<ModelKind, SentencePieceTokenizer> tokenizers = new EnumMap<>(ModelKind.class);

    @BeforeAll
    void trainModels(@TempDir Path dir) throws IOException {
        SpmCli.requireInstalled();
        for (ModelKind kind : ModelKind.values()) {
            Path file;
            if (kind == ModelKind.BPE_TRAINER) {
                file = dir.resolve("trainer.model");
                Files.write(file, BpeTrainer.train(BpeTrainer.defaultCorpus(), 1000).toBytes());
            } else {
                List<String> options = new ArrayList<>(List.of("--model_type=bpe", "--character_coverage=1.0",
                        "--byte_fallback=true"));
                options.addAll(List.of(kind.options));
                file = SpmCli.train(dir, kind.name().toLowerCase(), BpeTrainer.defaultCorpus(), options.toArray(String[]::new));
            }
            files.put(kind, file);
            tokenizers.put(kind, new SentencePieceTokenizer(SentencePieceModel.parse(Files.readAllBytes(file))));
        }
    }

    @ParameterizedTest
    @EnumSource(ModelKind.class)
    void encodeRawMatchesSpmEncode(ModelKind kind) throws IOException {
        SentencePieceTokenizer tokenizer = tokenizers.get(kind);
        List<int[]> expected = spmEncode(kind, TEXTS);
        SoftAssertions softly = new SoftAssertions();
        for (int i = 0; i < TEXTS.size(); i++) {
            softly.assertThat(tokenizer.encodeRaw(TEXTS.get(i))).as("%s: %s", kind, escape(TEXTS.get(i)))
                    .containsExactly(expected.get(i));
        }
        softly.assertAll();
    }

    @ParameterizedTest
    @EnumSource(ModelKind.class)
    void decodeMatchesSpmDecodeOnEncodedText(ModelKind kind) throws IOException {
        assertDecodeMatches(kind, spmEncode(kind, TEXTS));
    }

    @ParameterizedTest
    @EnumSource(ModelKind.class)
    void decodeMatchesSpmDecodeOnRandomIdSequences(ModelKind kind) throws IOException {
        SentencePieceTokenizer tokenizer = tokenizers.get(kind);
        Random random = new Random(kind.ordinal());
        List<int[]> sequences = new ArrayList<>();
        for (int s = 0; s < 300; s++) {
            int[] ids = new int[random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                // a third of the ids among the first 300 (control, unk, byte pieces), the rest anywhere
                ids[i] = random.nextInt(3) == 0 ? random.nextInt(300) : random.nextInt(tokenizer.vocabSize());
            }
            sequences.add(ids);
        }
        assertDecodeMatches(kind, sequences);
    }

    private void assertDecodeMatches(ModelKind kind, List<int[]> sequences) throws IOException {
        SentencePieceTokenizer tokenizer = tokenizers.get(kind);
        List<int[]> singleLine = sequences.stream().filter(ids -> !tokenizer.decode(ids).contains("\n")).toList();
        List<String> expected = SpmCli.decodeLines(files.get(kind), singleLine);
        SoftAssertions softly = new SoftAssertions();
        for (int i = 0; i < singleLine.size(); i++) {
            softly.assertThat(tokenizer.decode(singleLine.get(i))).as("%s: %s", kind, pieces(tokenizer, singleLine.get(i)))
                    .isEqualTo(expected.get(i));
        }
        for (int[] ids : sequences) {
            if (tokenizer.decode(ids).contains("\n")) {
                softly.assertThat(tokenizer.decode(ids)).as("%s: %s", kind, pieces(tokenizer, ids))
                        .isEqualTo(SpmCli.decode(files.get(kind), ids));
            }
        }
        softly.assertAll();
    }

    /**
     * spm_encode reads lines, so a '\n' can never reach it. Text with newlines goes in with '\r'
     * instead: neither character is in any piece of these models and both normalize alike (identity
     * keeps them, nmt_nfkc maps both to a space), so at most the byte-fallback id differs: the k-th
     * {@code <0x0D>} in the output stands for the k-th '\r' or '\n' of the text.
     */
    private List<int[]> spmEncode(ModelKind kind, List<String> texts) throws IOException {
        SentencePieceTokenizer tokenizer = tokenizers.get(kind);
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            assertThat(tokenizer.piece(id)).doesNotContain("\n", "\r");
        }
        List<int[]> ids = SpmCli.encode(files.get(kind), texts.stream().map(t -> t.replace('\n', '\r')).toList());
        int cr = indexOf(tokenizer, "<0x0D>");
        int lf = indexOf(tokenizer, "<0x0A>");
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String lineBreaks = texts.get(i).replaceAll("[^\r\n]", "");
            int[] seq = ids.get(i).clone();
            for (int j = 0, k = 0; j < seq.length; j++) {
                if (seq[j] == cr && lineBreaks.charAt(k++) == '\n') {
                    seq[j] = lf;
                }
            }
            out.add(seq);
        }
        return out;
    }

    private static int indexOf(SentencePieceTokenizer tokenizer, String piece) {
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.piece(id).equals(piece)) {
                return id;
            }
        }
        return -1;
    }

    private static String pieces(SentencePieceTokenizer tokenizer, int[] ids) {
        StringBuilder sb = new StringBuilder("[");
        for (int id : ids) {
            sb.append(sb.length() > 1 ? " " : "").append(id).append(':').append(escape(tokenizer.piece(id)));
        }
        return sb.append(']').toString();
    }

    private static String escape(String s) {
        return s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
    }
}
