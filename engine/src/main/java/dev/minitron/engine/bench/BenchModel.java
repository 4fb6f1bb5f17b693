package dev.minitron.engine.bench;

import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.config.ModelConfigs;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.SafetensorsWriter;
import dev.minitron.engine.io.TensorSpec;
import dev.minitron.engine.tiny.TinyCheckpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Nemotron-shaped models for the CPU benchmark, at sizes between the unit-test preset and the 8B:
 * squared-ReLU MLP, grouped-query attention with 6 query heads per KV head where the shapes allow,
 * half-rotary heads, untied lm_head, and a 32k vocabulary (not Minitron's 256k, which would make a
 * small model mostly embedding). Weights are random bf16 in the Hugging Face layout, written once and
 * reused: the backend reads them exactly as it reads a real checkpoint.
 */
enum BenchModel {

    /** 122M parameters, 98M of them streamed per decode step (the embedding is only gathered). */
    M100("100m", new ModelConfig("nemotron", 768, 3072, 12, 12, 2, 64, 32000, 4096,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16")),

    /** 999M parameters, 933M streamed per decode step. */
    B1("1b", new ModelConfig("nemotron", 2048, 8192, 18, 24, 4, 128, 32000, 4096,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16"));

    private static final String COMPLETE = ".complete";

    private final String cliName;
    private final ModelConfig config;

    BenchModel(String cliName, ModelConfig config) {
        this.cliName = cliName;
        this.config = config;
    }

    String cliName() {
        return cliName;
    }

    ModelConfig config() {
        return config;
    }

    static BenchModel fromCliName(String name) {
        for (BenchModel m : values()) {
            if (m.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown benchmark model \"" + name + "\" (expected 100m or 1b)");
    }

    /** All parameters, embedding included. */
    long parameters() {
        return TinyCheckpoint.tensorSpecs(config).stream().mapToLong(s -> s.byteSize() / 2).sum();
    }

    /** Bytes of bf16 weights a decode step reads: every layer matrix, the norms and lm_head (not the embedding table). */
    long streamedWeightBytes() {
        return TinyCheckpoint.tensorSpecs(config).stream()
                .filter(s -> !s.name().equals("model.embed_tokens.weight"))
                .mapToLong(TensorSpec::byteSize).sum();
    }

    /** The checkpoint under {@code root}, generated on first use (a marker file says it is whole). */
    Path ensureWritten(Path root) throws IOException {
        Path dir = root.resolve(cliName);
        if (Files.exists(dir.resolve(COMPLETE))) {
            return dir;
        }
        System.out.printf("generating the %s model (%.2f GB of bf16) in %s ...%n", cliName, parameters() * 2 / 1e9, dir);
        long t0 = System.nanoTime();
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(COMPLETE));
        Files.writeString(dir.resolve(Checkpoint.CONFIG), ModelConfigs.toJsonString(config));
        writeWeights(dir.resolve(Checkpoint.SINGLE_FILE));
        Files.writeString(dir.resolve(COMPLETE), "");
        System.out.printf("generated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return dir;
    }

    /** Uniform random bf16 (std 0.02 for matrices, 0.1 for norms): fast, and timing does not depend on values. */
    private void writeWeights(Path file) throws IOException {
        List<TensorSpec> specs = TinyCheckpoint.tensorSpecs(config);
        ByteBuffer buffer = ByteBuffer.allocate(16 << 20).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom random = new SplittableRandom(1);
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (TensorSpec spec : specs) {
                float std = spec.shape().length == 1 ? TinyCheckpoint.NORM_STD : TinyCheckpoint.MATRIX_STD;
                float scale = (float) (std * Math.sqrt(3) * 2 / 65536.0);
                long left = spec.byteSize();
                while (left > 0) {
                    buffer.clear();
                    int bytes = (int) Math.min(buffer.capacity(), left);
                    for (int i = 0; i < bytes; i += 8) {
                        long r = random.nextLong();
                        for (int j = 0; j < 4 && i + 2 * j < bytes; j++) {
                            float v = (((r >>> (16 * j)) & 0xFFFF) - 32768) * scale;
                            buffer.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                        }
                    }
                    writer.write(spec.name(), buffer.flip());
                    left -= bytes;
                }
            }
        }
    }
}
