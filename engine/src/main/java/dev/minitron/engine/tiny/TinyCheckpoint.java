package dev.minitron.engine.tiny;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.config.ModelConfigs;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.SafetensorsWriter;
import dev.minitron.engine.io.TensorSpec;
import dev.minitron.engine.io.torch.TorchCheckpointWriter;
import dev.minitron.engine.tokenizer.BpeTrainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a random-weight checkpoint in the real Hugging Face layout of Minitron-8B-Base:
 * {@code config.json}, {@code model.safetensors} or {@code pytorch_model.bin} (BF16 by default, the real tensor names),
 * {@code tokenizer.model}, {@code tokenizer_config.json} and {@code generation_config.json}.
 * The same preset and seed always give byte-identical files; weights are streamed to disk, so
 * the 16.5 GB preset never sits in memory. An F32 checkpoint holds the very same values, widened
 * (and says {@code "torch_dtype": "float32"}): it is what a float32 comparison with Hugging Face
 * runs on, where neither side rounds anything to bf16.
 */
public final class TinyCheckpoint {

    /** Std of the projection and embedding matrices (HF's {@code initializer_range}). */
    public static final float MATRIX_STD = 0.02f;
    /** Std of the LayerNorm1P weights (γ − 1) and biases: large enough that both visibly matter. */
    public static final float NORM_STD = 0.1f;
    /** Pieces of the generated SentencePiece tokenizer (the 8B preset's vocab is larger, as with padded embeddings). */
    public static final int TOKENIZER_VOCAB = 1024;

    private static final int CHUNKS_PER_WRITE = 256; // 32 MiB of bf16 (64 MiB of f32) per write
    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyCheckpoint() {
    }

    /** Writes the checkpoint files into {@code dir} (created if needed; existing files are replaced). */
    public static void write(Path dir, TinyPreset preset, long seed) throws IOException {
        write(dir, preset.config(), seed, WeightsFormat.SAFETENSORS);
    }

    /**
     * Writes a checkpoint of any {@code config} with its weights in {@code format}. The tensor
     * values depend only on the seed and the tensor names and shapes, so both formats hold
     * identical weights.
     */
    public static void write(Path dir, ModelConfig config, long seed, WeightsFormat format) throws IOException {
        write(dir, config, seed, format, DType.BF16);
    }

    /**
     * As {@link #write(Path, ModelConfig, long, WeightsFormat)}, with weights stored as {@code dtype}
     * (BF16 or F32; the values are the same) and {@code config.json}'s {@code torch_dtype} saying so.
     */
    public static void write(Path dir, ModelConfig config, long seed, WeightsFormat format, DType dtype) throws IOException {
        if (dtype != DType.BF16 && dtype != DType.F32) {
            throw new IllegalArgumentException("generated checkpoints are bf16 or f32, not " + dtype);
        }
        ModelConfig stored = writeConfig(dir, config, dtype);
        writeWeights(dir.resolve(format.fileName()), stored, seed, format, dtype);
    }

    /**
     * Writes everything but the weights: {@code config.json} (its {@code torch_dtype} saying
     * {@code dtype}), the tokenizer and the generation config. For checkpoints whose weights come
     * from elsewhere, e.g. the 8B the GPU benchmark has Hugging Face initialise and save.
     *
     * @return the config as stored
     */
    public static ModelConfig writeConfig(Path dir, ModelConfig config, DType dtype) throws IOException {
        ModelConfig stored = withTorchDtype(config, dtype.torchName());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), ModelConfigs.toJsonString(stored));
        Files.write(dir.resolve("tokenizer.model"), BpeTrainer.train(BpeTrainer.defaultCorpus(), TOKENIZER_VOCAB).toBytes());
        Files.writeString(dir.resolve("tokenizer_config.json"), pretty(tokenizerConfig(config)));
        Files.writeString(dir.resolve("generation_config.json"), pretty(generationConfig(config)));
        return stored;
    }

    /** Every tensor of a {@code NemotronForCausalLM} with this config, by its Hugging Face name. */
    public static List<TensorSpec> tensorSpecs(ModelConfig c) {
        return tensorSpecs(c, DType.BF16);
    }

    /** As {@link #tensorSpecs(ModelConfig)}, every tensor stored as {@code dtype}. */
    public static List<TensorSpec> tensorSpecs(ModelConfig c, DType dtype) {
        long hidden = c.hiddenSize();
        List<TensorSpec> specs = new ArrayList<>();
        specs.add(spec(dtype, "model.embed_tokens.weight", c.vocabSize(), hidden));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            specs.add(spec(dtype, p + "input_layernorm.weight", hidden));
            specs.add(spec(dtype, p + "input_layernorm.bias", hidden));
            specs.add(spec(dtype, p + "self_attn.q_proj.weight", c.qSize(), hidden));
            specs.add(spec(dtype, p + "self_attn.k_proj.weight", c.kvSize(), hidden));
            specs.add(spec(dtype, p + "self_attn.v_proj.weight", c.kvSize(), hidden));
            specs.add(spec(dtype, p + "self_attn.o_proj.weight", hidden, c.qSize()));
            specs.add(spec(dtype, p + "post_attention_layernorm.weight", hidden));
            specs.add(spec(dtype, p + "post_attention_layernorm.bias", hidden));
            specs.add(spec(dtype, p + "mlp.up_proj.weight", c.intermediateSize(), hidden));
            specs.add(spec(dtype, p + "mlp.down_proj.weight", hidden, c.intermediateSize()));
        }
        specs.add(spec(dtype, "model.norm.weight", hidden));
        specs.add(spec(dtype, "model.norm.bias", hidden));
        specs.add(spec(dtype, "lm_head.weight", c.vocabSize(), hidden));
        return specs;
    }

    private static TensorSpec spec(DType dtype, String name, long... shape) {
        return new TensorSpec(name, dtype, shape);
    }

    private static ModelConfig withTorchDtype(ModelConfig c, String torchDtype) {
        return new ModelConfig(c.modelType(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(),
                c.numKeyValueHeads(), c.headDim(), c.vocabSize(), c.maxPositionEmbeddings(), c.normEps(), c.ropeTheta(),
                c.partialRotaryFactor(), c.bosTokenId(), c.eosTokenId(), c.tieWordEmbeddings(), torchDtype);
    }

    /** The one method both weight writers share. */
    private interface TensorSink extends AutoCloseable {
        void write(String name, ByteBuffer bytes) throws IOException;

        @Override
        void close() throws IOException;
    }

    private static TensorSink sink(Path file, List<TensorSpec> specs, WeightsFormat format) throws IOException {
        return switch (format) {
            case SAFETENSORS -> {
                SafetensorsWriter w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"));
                yield new TensorSink() {
                    @Override
                    public void write(String name, ByteBuffer bytes) throws IOException {
                        w.write(name, bytes);
                    }

                    @Override
                    public void close() throws IOException {
                        w.close();
                    }
                };
            }
            case PYTORCH_BIN -> {
                TorchCheckpointWriter w = TorchCheckpointWriter.create(file, specs);
                yield new TensorSink() {
                    @Override
                    public void write(String name, ByteBuffer bytes) throws IOException {
                        w.write(name, bytes);
                    }

                    @Override
                    public void close() throws IOException {
                        w.close();
                    }
                };
            }
        };
    }

    private static void writeWeights(Path file, ModelConfig config, long seed, WeightsFormat format, DType dtype)
            throws IOException {
        List<TensorSpec> specs = tensorSpecs(config, dtype);
        long maxBytes = specs.stream().mapToLong(TensorSpec::byteSize).max().orElse(0);
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(maxBytes, (long) dtype.byteSize() * CHUNKS_PER_WRITE * RandomTensors.CHUNK));
        try (TensorSink writer = sink(file, specs, format)) {
            for (TensorSpec spec : specs) {
                float std = spec.shape().length == 1 ? NORM_STD : MATRIX_STD;
                long numel = spec.byteSize() / dtype.byteSize();
                long chunks = (numel + RandomTensors.CHUNK - 1) / RandomTensors.CHUNK;
                for (long first = 0; first < chunks; first += CHUNKS_PER_WRITE) {
                    int count = (int) Math.min(CHUNKS_PER_WRITE, chunks - first);
                    buffer.clear();
                    RandomTensors.fill(buffer, dtype, seed, spec.name(), numel, first, count, std);
                    writer.write(spec.name(), buffer.flip());
                }
            }
        }
    }

    private static ObjectNode tokenizerConfig(ModelConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("add_bos_token", true);
        n.put("add_eos_token", false);
        n.put("bos_token", "<s>");
        n.put("eos_token", "</s>");
        n.put("unk_token", "<unk>");
        n.put("pad_token", "<pad>");
        n.put("model_max_length", c.maxPositionEmbeddings());
        n.put("tokenizer_class", "LlamaTokenizer");
        return n;
    }

    private static ObjectNode generationConfig(ModelConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_from_model_config", true);
        n.put("bos_token_id", c.bosTokenId());
        n.put("eos_token_id", c.eosTokenId());
        return n;
    }

    private static String pretty(ObjectNode node) throws IOException {
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    }
}
