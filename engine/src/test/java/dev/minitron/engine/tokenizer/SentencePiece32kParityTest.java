package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our tokenizer against SentencePiece itself ({@code spm_encode}/{@code spm_decode}, Debian
 * {@code sentencepiece}) on a real-sized vocabulary: {@code resources/tokenizer/spm32k.model}, a
 * 32,000-piece BPE model with byte fallback trained by {@code spm_train} (see that folder's README),
 * on a fixed multilingual corpus with emoji, CJK, code, whitespace runs, and on invalid UTF-8.
 * When the tools are missing the test is skipped locally and fails on CI ({@link SpmCli}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SentencePiece32kParityTest {

    static final List<String> CORPUS = List.of(
            "Hello world",
            "The quick brown fox jumps over the lazy dog.",
            "  two leading spaces", "trailing spaces   ", "several   spaces    inside", "tab\tseparated\tvalues\t",
            " ", "   ", "", "a",
            "digits 1234567890 and 3.14159, year 1887",
            "café naïve résumé façade Zürich señor crème brûlée ß ø å",
            "Съешь же ещё этих мягких французских булок, да выпей чаю.",
            "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
            "العربية لغة جميلة ومليئة بالتاريخ",
            "עברית היא שפה שמית",
            "हिन्दी भारत की एक भाषा है।",
            "한국어 텍스트와 숫자 123",
            "日本語のテキストと中文的句子，还有標點符號。",
            "一丁七万丈三上下不与丐丑专且丕世丘丙业丛东丝",
            "ひらがなとカタカナ、そして漢字。",
            "emoji 😀👍🏽 family 👨‍👩‍👧 flag 🇫🇷 🇯🇵 🤖✨🙏",
            "❤️ and ❤ and ☃ and ∑∫√∞ and ⅻ",
            "def add(x, y):    return x + y * 42",
            "for (int i = 0; i < 10; i++) {\tarr[i] = i;\t}",
            "if err != nil { return fmt.Errorf(\"read: %w\", err) }",
            "SELECT name, COUNT(*) FROM users WHERE id > 100 GROUP BY name;",
            "<div class=\"x\">&amp;&lt;&gt;</div>",
            "const url = `/api/${id}`; // template",
            "{\"json\": [1, 2.5e-3, true, null], \"k\": \"v\"}",
            "no-break\u00A0space and\u3000ideographic space",
            "fullwidth ＡＢＣ１２３ and ligatures ﬁ ﬂ",
            "combining e\u0301 versus é",
            "control\u0001chars\u007F and zero\u200Bwidth and bom\uFEFF",
            "<s> and </s> and <unk> typed as text, <0x41> too",
            "\u2581 a literal meta symbol \u2581\u2581",
            "ALL CAPS SENTENCE, WITH PUNCTUATION!!! ???",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕄𝕒𝕥𝕙 and 𠀀𠀁 (supplementary CJK)",
            "mixed 中文 English русский 日本 한국 عربى in one line");

    /** Lines that are not valid UTF-8: SentencePiece turns each bad byte into U+FFFD. */
    static final List<String> INVALID_UTF8_HEX = List.of(
            "80",                    // stray continuation byte
            "6162 80 6364",          // one inside text
            "e282",                  // truncated 3-byte sequence
            "e282 41",               // truncated, then ASCII
            "c0af",                  // overlong '/'
            "e080af",                // overlong, 3 bytes
            "eda080",                // UTF-16 surrogate encoded
            "f4908080",              // beyond U+10FFFF
            "f5 f6 f7 ff fe",        // bytes never valid in UTF-8
            "f09f98",                // truncated emoji
            "e697a5 e6 e69cac",      // 日, a lone lead byte, 本
            "20 20 c3 20 c3a9 20");  // spaces around a lone lead byte and a valid é

    private Path model;
    private SentencePieceTokenizer tokenizer;
    private List<String> texts;

    @BeforeAll
    void load(@TempDir Path dir) throws IOException {
        SpmCli.requireInstalled();
        model = dir.resolve("spm32k.model");
        try (InputStream in = getClass().getResourceAsStream("/tokenizer/spm32k.model")) {
            assertThat(in).as("resources/tokenizer/spm32k.model").isNotNull();
            Files.copy(in, model);
        }
        tokenizer = new SentencePieceTokenizer(SentencePieceModel.parse(Files.readAllBytes(model)));
        texts = new ArrayList<>(CORPUS);
        texts.addAll(generated(300));
    }

    @Test
    void theModelIsARealSizedByteFallbackBpeVocabulary() {
        assertThat(tokenizer.vocabSize()).isGreaterThanOrEqualTo(32000);
        assertThat(tokenizer.piece(3 + 0x41)).isEqualTo("<0x41>");
        assertThat(tokenizer.piece(3 + 0xFF)).isEqualTo("<0xFF>");
    }

    @Test
    void encodeMatchesSpmEncodeOnAMultilingualCorpus() throws IOException {
        List<int[]> expected = SpmCli.encode(model, texts);
        SoftAssertions softly = new SoftAssertions();
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            softly.assertThat(tokenizer.encodeRaw(texts.get(i))).as("line %d: %s", i, texts.get(i)).containsExactly(expected.get(i));
            tokens += expected.get(i).length;
        }
        softly.assertAll();
        assertThat(tokens).as("the corpus exercises many pieces").isGreaterThan(5000);
    }

    @Test
    void encodeOfInvalidUtf8MatchesSpmEncodeByteForByte() throws IOException {
        List<byte[]> lines = INVALID_UTF8_HEX.stream().map(h -> HexFormat.of().parseHex(h.replace(" ", ""))).toList();
        List<int[]> expected = SpmCli.encodeBytes(model, lines);
        SoftAssertions softly = new SoftAssertions();
        for (int i = 0; i < lines.size(); i++) {
            softly.assertThat(tokenizer.encodeRawUtf8(lines.get(i))).as("bytes %s", INVALID_UTF8_HEX.get(i))
                    .containsExactly(expected.get(i));
        }
        softly.assertAll();
    }

    @Test
    void decodeMatchesSpmDecodeOnEncodedTextAndRandomIds() throws IOException {
        List<int[]> sequences = new ArrayList<>(SpmCli.encode(model, texts));
        Random random = new Random(32000);
        for (int s = 0; s < 300; s++) {
            int[] ids = new int[random.nextInt(16)];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = random.nextInt(4) == 0 ? random.nextInt(260) : random.nextInt(tokenizer.vocabSize());
            }
            sequences.add(ids);
        }
        List<int[]> singleLine = sequences.stream().filter(ids -> !tokenizer.decode(ids).contains("\n")).toList();
        List<String> expected = SpmCli.decodeLines(model, singleLine);
        SoftAssertions softly = new SoftAssertions();
        for (int i = 0; i < singleLine.size(); i++) {
            softly.assertThat(tokenizer.decode(singleLine.get(i))).as("ids %s", java.util.Arrays.toString(singleLine.get(i)))
                    .isEqualTo(expected.get(i));
        }
        for (int[] ids : sequences) {
            if (tokenizer.decode(ids).contains("\n")) {
                softly.assertThat(tokenizer.decode(ids)).isEqualTo(SpmCli.decode(model, ids));
            }
        }
        softly.assertAll();
    }

    /** Deterministic lines mixing scripts, digits, emoji and whitespace runs, none with a newline. */
    static List<String> generated(int count) {
        String[] pools = {
            "abcdefghijklmnopqrstuvwxyzéèüöñß", "абвгдежзийклмнопрстуфхцчшщыэюя", "αβγδεζηθικλμνξοπρστυφχψω",
            "一丁七万丈三上下不与中国日本人大学生", "あいうえおかきくけこアイウエオ", "가나다라마바사아자차카타파하",
            "0123456789", "😀😂👍🎉🔥🚀🤖✨", "(){}[];:=+-*/<>\"'`.,!?#@$%^&|\\~_"};
        Random random = new Random(7);
        List<String> out = new ArrayList<>();
        for (int l = 0; l < count; l++) {
            StringBuilder sb = new StringBuilder();
            int words = 1 + random.nextInt(12);
            for (int w = 0; w < words; w++) {
                String pool = pools[random.nextInt(pools.length)];
                int len = 1 + random.nextInt(8);
                for (int c = 0; c < len; c++) {
                    sb.appendCodePoint(pool.codePointAt(pool.offsetByCodePoints(0, random.nextInt(pool.codePointCount(0, pool.length())))));
                }
                sb.append(random.nextInt(10) == 0 ? " ".repeat(2 + random.nextInt(4)) : random.nextInt(15) == 0 ? "\t" : " ");
            }
            out.add(sb.toString());
        }
        return out;
    }
}
