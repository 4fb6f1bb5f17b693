package dev.minitron.engine.tiny;

import static org.assertj.core.api.Assertions.assertThat;

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

    private int run(String... args) throws IOException {
        return TinyCheckpointMain.run(args, new PrintStream(out), new PrintStream(err));
    }
}
