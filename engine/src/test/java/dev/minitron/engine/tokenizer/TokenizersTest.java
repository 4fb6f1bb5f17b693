package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizersTest {

    @TempDir
    Path dir;

    private byte[] modelBytes;

    @BeforeEach
    void writeModel() throws IOException {
        modelBytes = TestModels.trained().toBytes();
        Files.write(dir.resolve("tokenizer.model"), modelBytes);
    }

    @Test
    void withoutConfigEncodeAddsBosButNotEos() {
        Tokenizer tokenizer = Tokenizers.load(dir);
        int[] raw = tokenizer.encodeRaw("Hello world");

        assertThat(tokenizer.addsBos()).isTrue();
        assertThat(tokenizer.encode("Hello world")).startsWith(2).endsWith(raw).hasSize(raw.length + 1);
    }

    @Test
    void encodeFollowsAddBosAndAddEosFromConfig() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"add_bos_token": false, "add_eos_token": true, "bos_token": "<s>", "eos_token": "</s>",
                 "model_max_length": 4096, "tokenizer_class": "LlamaTokenizer"}
                """);
        Tokenizer tokenizer = Tokenizers.load(dir);
        int[] raw = tokenizer.encodeRaw("Hello world");

        assertThat(tokenizer.addsBos()).isFalse();
        assertThat(tokenizer.encode("Hello world")).startsWith(raw).endsWith(3).hasSize(raw.length + 1);
    }

    @Test
    void specialTokensMayBeAddedTokenObjects() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"__type": "AddedToken", "content": "</s>", "lstrip": false},
                 "eos_token": {"content": "<pad>"}}
                """);
        Tokenizer tokenizer = Tokenizers.load(dir);

        assertThat(tokenizer.bosId()).isEqualTo(3);
        assertThat(tokenizer.eosId()).isEqualTo(0);
        assertThat(tokenizer.encode("x")[0]).isEqualTo(3);
    }

    @Test
    void configNamingATokenOutsideTheVocabularyIsRejected() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|begin|>\"}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("bos_token '<|begin|>' is not in the vocabulary");
    }

    @Test
    void malformedConfigIsRejectedNamingTheFile() throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("tokenizer_config.json").hasMessageContaining("add_bos_token");
    }

    @Test
    void corruptModelIsRejectedNamingTheFile() throws IOException {
        Files.write(dir.resolve("tokenizer.model"), Arrays.copyOf(modelBytes, modelBytes.length / 2));
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class)
                .hasMessageStartingWith(dir.resolve("tokenizer.model").toString());
    }

    @Test
    void missingModelIsRejectedNamingTheFile() throws IOException {
        Files.delete(dir.resolve("tokenizer.model"));
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining(dir.resolve("tokenizer.model").toString());
    }

    @Test
    void onlyTokenizerJsonIsReportedAsNotSupportedYet() throws IOException {
        Files.delete(dir.resolve("tokenizer.model"));
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("has only tokenizer.json").hasMessageContaining("later issue");
    }
}
