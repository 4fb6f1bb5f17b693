package dev.minitron.engine.tiny;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.DType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyCheckpointMainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void refusesToWriteIntoANonEmptyDirectoryWithoutForce() throws IOException {
        Files.writeString(dir.resolve("keep.txt"), "mine");
        assertThat(run("--out", dir.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("is not empty").contains("--force");
        assertThat(dir.resolve("config.json")).doesNotExist();
    }

    @Test
    void rejectsAnUnknownPreset() throws IOException {
        assertThat(run("--out", dir.resolve("x").toString(), "--preset", "llama")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown preset \"llama\"").contains("usage:");
    }

    @Test
    void requiresAnOutputDirectory() throws IOException {
        assertThat(run("--seed", "3")).isEqualTo(2);
        assertThat(err.toString()).contains("--out is required");
    }

    @Test
    void writesF32WeightsWhenAsked() throws IOException {
        Path out32 = dir.resolve("f32");
        assertThat(run("--out", out32.toString(), "--seed", "5", "--dtype", "f32")).isEqualTo(0);
        assertThat(out.toString()).contains("float32");
        try (Checkpoint c = Checkpoint.open(out32)) {
            assertThat(c.config().torchDtype()).isEqualTo("float32");
            assertThat(c.tensors().values()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(DType.F32));
        }
    }

    @Test
    void configOnlyWritesTheConfigAndTokenizerButNoWeights() throws IOException {
        Path cfg = dir.resolve("8b");
        assertThat(run("--out", cfg.toString(), "--preset", "minitron-8b", "--config-only")).isEqualTo(0);
        assertThat(cfg.resolve("config.json")).exists();
        assertThat(cfg.resolve("tokenizer.model")).exists();
        assertThat(cfg.resolve("model.safetensors")).doesNotExist();
        assertThat(Files.readString(cfg.resolve("config.json"))).contains("\"hidden_size\" : 4096")
                .contains("\"vocab_size\" : 256000");
    }

    @Test
    void rejectsAnUnknownDtype() throws IOException {
        assertThat(run("--out", dir.resolve("x").toString(), "--dtype", "fp16")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown dtype \"fp16\"").contains("usage:");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    private int run(String... args) throws IOException {
        return TinyCheckpointMain.run(args, new PrintStream(out), new PrintStream(err));
    }
}
