package dev.minitron.engine.tiny;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.TensorSpec;
import dev.minitron.engine.io.TensorView;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyCheckpointTest {

    private static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.model",
            "tokenizer_config.json", "generation_config.json");

    @TempDir
    static Path dir;

    @BeforeAll
    static void write() throws IOException {
        TinyCheckpoint.write(dir, TinyPreset.TINY, 42);
    }

    @Test
    void theSameSeedGivesByteIdenticalFiles(@TempDir Path again) throws IOException {
        TinyCheckpoint.write(again, TinyPreset.TINY, 42);
        for (String file : FILES) {
            assertThat(Files.readAllBytes(again.resolve(file))).as(file).isEqualTo(Files.readAllBytes(dir.resolve(file)));
        }
    }

    @Test
    void differentSeedsGiveDifferentWeights() {
        ByteBuffer a = ByteBuffer.allocate(2000);
        ByteBuffer b = ByteBuffer.allocate(2000);
        RandomTensors.fill(a, 1, "lm_head.weight", 1000, 0, 1, 0.02f);
        RandomTensors.fill(b, 2, "lm_head.weight", 1000, 0, 1, 0.02f);
        assertThat(a.array()).isNotEqualTo(b.array());
    }

    @Test
    void writesAHuggingFaceCheckpointTheEngineOpens() throws IOException {
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.config()).isEqualTo(TinyPreset.TINY.config());
            assertThat(c.tensors().keySet()).containsExactlyElementsOf(
                    TinyCheckpoint.tensorSpecs(c.config()).stream().map(TensorSpec::name).toList());
            assertThat(c.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(DType.BF16));
        }
        var config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertThat(config.get("architectures").get(0).asText()).isEqualTo("NemotronForCausalLM");
        assertThat(config.get("hidden_act").asText()).isEqualTo("relu2");
    }

    @Test
    void anF32CheckpointHoldsTheBf16ValuesWidenedInBothFormats(@TempDir Path f32, @TempDir Path f32bin) throws IOException {
        TinyCheckpoint.write(f32, TinyPreset.TINY.config(), 42, WeightsFormat.SAFETENSORS, DType.F32);
        TinyCheckpoint.write(f32bin, TinyPreset.TINY.config(), 42, WeightsFormat.PYTORCH_BIN, DType.F32);
        assertThat(new ObjectMapper().readTree(f32.resolve("config.json").toFile()).get("torch_dtype").asText())
                .isEqualTo("float32");
        try (Checkpoint bf16 = Checkpoint.open(dir); Checkpoint st = Checkpoint.open(f32); Checkpoint bin = Checkpoint.open(f32bin)) {
            assertThat(st.config().torchDtype()).isEqualTo("float32");
            assertThat(st.tensors().keySet()).containsExactlyElementsOf(bf16.tensors().keySet());
            for (String name : bf16.tensors().keySet()) {
                assertThat(st.tensor(name).dtype()).as(name).isEqualTo(DType.F32);
                assertThat(bin.tensor(name).dtype()).as(name).isEqualTo(DType.F32);
                float[] expected = bf16.tensor(name).toFloatArray();
                assertThat(st.tensor(name).toFloatArray()).as(name).containsExactly(expected);
                assertThat(bin.tensor(name).toFloatArray()).as(name).containsExactly(expected);
            }
        }
        assertThat(Files.size(f32.resolve("model.safetensors"))).isGreaterThan(2 * Files.size(dir.resolve("model.safetensors")) - 4096);
    }

    @Test
    void refusesDtypesItCannotGenerate(@TempDir Path f16) {
        assertThatThrownBy(() -> TinyCheckpoint.write(f16, TinyPreset.TINY.config(), 1, WeightsFormat.SAFETENSORS, DType.F16))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bf16 or f32");
    }

    @Test
    void initialisesMatricesWithStd002AndNormsVisiblyAwayFromIdentity() {
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(std(c.tensor("model.layers.0.mlp.up_proj.weight"))).isBetween(0.019, 0.021);
            assertThat(std(c.tensor("model.layers.1.input_layernorm.weight"))).isBetween(0.07, 0.13);
            assertThat(std(c.tensor("model.norm.bias"))).isBetween(0.07, 0.13);
        }
    }

    @Test
    void shipsATokenizerThatAddsBosAndCoversTheVocabulary() throws IOException {
        var tokenizer = Tokenizers.load(dir);
        assertThat(tokenizer.vocabSize()).isLessThanOrEqualTo(TinyPreset.TINY.config().vocabSize());
        assertThat(tokenizer.bosId()).isEqualTo(2);
        assertThat(tokenizer.eosId()).isEqualTo(3);
        assertThat(tokenizer.encode("hello")[0]).isEqualTo(2);
        var tokenizerConfig = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertThat(tokenizerConfig.get("add_bos_token").booleanValue()).isTrue();
        assertThat(tokenizerConfig.get("add_eos_token").booleanValue()).isFalse();
    }

    @Test
    void theMinitron8bPresetHasThePublishedTensorsAndShapes() {
        List<TensorSpec> specs = TinyCheckpoint.tensorSpecs(TinyPreset.MINITRON_8B.config());
        Map<String, List<Long>> shapes = specs.stream().collect(Collectors.toMap(TensorSpec::name,
                s -> Arrays.stream(s.shape()).boxed().toList()));
        assertThat(specs).hasSize(324);
        assertThat(shapes.get("model.embed_tokens.weight")).containsExactly(256000L, 4096L);
        assertThat(shapes.get("model.layers.31.self_attn.q_proj.weight")).containsExactly(6144L, 4096L);
        assertThat(shapes.get("model.layers.31.self_attn.k_proj.weight")).containsExactly(1024L, 4096L);
        assertThat(shapes.get("model.layers.31.self_attn.o_proj.weight")).containsExactly(4096L, 6144L);
        assertThat(shapes.get("model.layers.0.mlp.up_proj.weight")).containsExactly(16384L, 4096L);
        assertThat(shapes.get("model.layers.0.mlp.down_proj.weight")).containsExactly(4096L, 16384L);
        assertThat(shapes.get("lm_head.weight")).containsExactly(256000L, 4096L);
        long params = specs.stream().mapToLong(s -> s.byteSize() / 2).sum();
        assertThat(params).isBetween(8_260_000_000L, 8_280_000_000L);
    }

    private static double std(TensorView t) {
        float[] v = t.toFloatArray();
        double sum = 0;
        double sq = 0;
        for (float x : v) {
            sum += x;
            sq += (double) x * x;
        }
        double mean = sum / v.length;
        return Math.sqrt(sq / v.length - mean * mean);
    }
}
