package dev.minitron.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigsTest {

    /** nvidia/Minitron-8B-Base config.json, as published. */
    static final String MINITRON_8B = """
            {
              "architectures": ["NemotronForCausalLM"],
              "bos_token_id": 2,
              "eos_token_id": 3,
              "head_dim": 128,
              "hidden_act": "relu2",
              "hidden_size": 4096,
              "initializer_range": 0.0134,
              "intermediate_size": 16384,
              "max_position_embeddings": 4096,
              "model_type": "nemotron",
              "norm_eps": 1e-05,
              "num_attention_heads": 48,
              "num_hidden_layers": 32,
              "num_key_value_heads": 8,
              "partial_rotary_factor": 0.5,
              "rope_scaling": null,
              "rope_theta": 10000,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.32.0.dev0",
              "use_cache": true,
              "vocab_size": 256000
            }
            """;

    @Test
    void readsThePublishedMinitron8bConfig() {
        ModelConfig c = ModelConfigs.parse(MINITRON_8B);
        assertThat(c).isEqualTo(new ModelConfig("nemotron", 4096, 16384, 32, 48, 8, 128, 256000, 4096,
                1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16"));
        assertThat(c.rotaryDim()).isEqualTo(64);
        assertThat(c.queriesPerKvHead()).isEqualTo(6);
        assertThat(c.qSize()).isEqualTo(6144);
        assertThat(c.kvSize()).isEqualTo(1024);
    }

    @Test
    void readsThePublishedMinitron4bConfig() {
        String json = MINITRON_8B.replace("\"hidden_size\": 4096", "\"hidden_size\": 3072")
                .replace("16384", "9216").replace("\"num_attention_heads\": 48", "\"num_attention_heads\": 24");
        ModelConfig c = ModelConfigs.parse(json);
        assertThat(c).isEqualTo(new ModelConfig("nemotron", 3072, 9216, 32, 24, 8, 128, 256000, 4096,
                1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16"));
        assertThat(c.queriesPerKvHead()).isEqualTo(3);
    }

    @Test
    void acceptsTheOldSpellingsOfRotaryFractionAndHeadSize() {
        String old = MINITRON_8B.replace("\"head_dim\": 128", "\"kv_channels\": 128")
                .replace("\"partial_rotary_factor\": 0.5", "\"rope_percent\": 0.5");
        assertThat(ModelConfigs.parse(old)).isEqualTo(ModelConfigs.parse(MINITRON_8B));
        String older = MINITRON_8B.replace("\"partial_rotary_factor\": 0.5", "\"rope_percentage\": 0.25");
        assertThat(ModelConfigs.parse(older).rotaryDim()).isEqualTo(32);
    }

    @Test
    void headDimDefaultsToHiddenOverHeadsOnlyWhenAbsent() {
        String noHeadDim = MINITRON_8B.replace("\"head_dim\": 128,", "").replace("\"num_attention_heads\": 48", "\"num_attention_heads\": 32");
        assertThat(ModelConfigs.parse(noHeadDim).headDim()).isEqualTo(128);
        String inconsistent = MINITRON_8B.replace("\"head_dim\": 128", "\"head_dim\": 96");
        assertThat(ModelConfigs.parse(inconsistent).headDim()).isEqualTo(96);
    }

    @Test
    void rejectsAnotherModelType() {
        assertThatThrownBy(() -> ModelConfigs.parse(MINITRON_8B.replace("\"nemotron\"", "\"mistral\"")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model_type is \"mistral\"").hasMessageContaining("nemotron");
    }

    @Test
    void rejectsAnotherArchitecture() {
        assertThatThrownBy(() -> ModelConfigs.parse(MINITRON_8B.replace("NemotronForCausalLM", "MistralForCausalLM")))
                .hasMessageContaining("architectures").hasMessageContaining("NemotronForCausalLM");
    }

    @Test
    void rejectsAnActivationOtherThanRelu2() {
        assertThatThrownBy(() -> ModelConfigs.parse(MINITRON_8B.replace("\"relu2\"", "\"silu\"")))
                .hasMessageContaining("hidden_act is \"silu\", expected \"relu2\"");
    }

    @Test
    void namesAMissingKey() {
        assertThatThrownBy(() -> ModelConfigs.parse(MINITRON_8B.replace("\"vocab_size\": 256000", "\"vocab\": 1")))
                .hasMessageContaining("missing required key \"vocab_size\"");
    }

    @Test
    void rejectsHeadsThatDoNotGroupEvenly() {
        assertThatThrownBy(() -> ModelConfigs.parse(MINITRON_8B.replace("\"num_key_value_heads\": 8", "\"num_key_value_heads\": 7")))
                .hasMessageContaining("num_attention_heads (48) must be a positive multiple of num_key_value_heads (7)");
    }

    @Test
    void namesTheFileWhenItIsMissingOrNotJson(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("config.json");
        assertThatThrownBy(() -> ModelConfigs.read(missing)).hasMessageContaining(missing + ": no such file");
        Files.writeString(missing, "{ not json");
        assertThatThrownBy(() -> ModelConfigs.read(missing)).hasMessageContaining(missing + ": not valid JSON");
    }

    @Test
    void writesAConfigItReadsBack() {
        ModelConfig c = ModelConfigs.parse(MINITRON_8B);
        assertThat(ModelConfigs.parse(ModelConfigs.toJsonString(c))).isEqualTo(c);
    }
}
