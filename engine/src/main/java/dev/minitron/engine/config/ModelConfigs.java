package dev.minitron.engine.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads and writes the {@code config.json} of a {@code NemotronForCausalLM} checkpoint. Only the
 * Nemotron architecture with {@code relu2} is accepted; the older spellings {@code rope_percent},
 * {@code rope_percentage} and {@code kv_channels} are read too.
 */
public final class ModelConfigs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelConfigs() {
    }

    /** Reads {@code config.json}; a missing or invalid file gives an exception naming it. */
    public static ModelConfig read(Path configJson) {
        try {
            return parse(JSON.readTree(configJson.toFile()), configJson.toString());
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(configJson + ": no such file (expected a Hugging Face config.json)");
        } catch (IOException e) {
            if (!Files.exists(configJson)) {
                throw new IllegalArgumentException(configJson + ": no such file (expected a Hugging Face config.json)");
            }
            throw new IllegalArgumentException(configJson + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    public static ModelConfig parse(String json) {
        try {
            return parse(JSON.readTree(json), "config.json");
        } catch (IOException e) {
            throw new IllegalArgumentException("config.json: not valid JSON: " + e.getMessage(), e);
        }
    }

    static ModelConfig parse(JsonNode root, String source) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object");
        }
        var c = new ConfigReader(root, source);
        c.requireNemotron();
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        int headDim = c.has("head_dim") ? c.integer("head_dim")
                : c.has("kv_channels") ? c.integer("kv_channels")
                : hidden / heads;
        double rotary = c.firstDouble(0.5, "partial_rotary_factor", "rope_percent", "rope_percentage");
        try {
            return new ModelConfig(
                    c.string("model_type", "nemotron"),
                    hidden,
                    c.integer("intermediate_size"),
                    c.integer("num_hidden_layers"),
                    heads,
                    c.has("num_key_value_heads") ? c.integer("num_key_value_heads") : heads,
                    headDim,
                    c.integer("vocab_size"),
                    c.integer("max_position_embeddings"),
                    c.firstDouble(1e-5, "norm_eps", "layer_norm_eps"),
                    c.firstDouble(10000.0, "rope_theta"),
                    rotary,
                    c.tokenId("bos_token_id", 2),
                    c.tokenId("eos_token_id", 3),
                    c.bool("tie_word_embeddings", false),
                    c.string("torch_dtype", "bfloat16"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** The {@code config.json} Hugging Face writes for {@code config}, with the current key names. */
    public static ObjectNode toJson(ModelConfig config) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("NemotronForCausalLM");
        n.put("model_type", "nemotron");
        n.put("hidden_act", "relu2");
        n.put("hidden_size", config.hiddenSize());
        n.put("intermediate_size", config.intermediateSize());
        n.put("num_hidden_layers", config.numHiddenLayers());
        n.put("num_attention_heads", config.numAttentionHeads());
        n.put("num_key_value_heads", config.numKeyValueHeads());
        n.put("head_dim", config.headDim());
        n.put("vocab_size", config.vocabSize());
        n.put("max_position_embeddings", config.maxPositionEmbeddings());
        n.put("norm_eps", config.normEps());
        n.put("rope_theta", config.ropeTheta());
        n.put("partial_rotary_factor", config.partialRotaryFactor());
        n.put("bos_token_id", config.bosTokenId());
        n.put("eos_token_id", config.eosTokenId());
        n.put("tie_word_embeddings", config.tieWordEmbeddings());
        n.put("torch_dtype", config.torchDtype());
        n.put("initializer_range", 0.02);
        n.put("attention_bias", false);
        n.put("mlp_bias", false);
        n.put("attention_dropout", 0.0);
        n.put("use_cache", true);
        return n;
    }

    /** Serialises {@link #toJson} the way Hugging Face does: pretty-printed, two-space indent. */
    public static String toJsonString(ModelConfig config) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(config)) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
