package dev.minitron.engine.reference;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partial-RoPE pitfall of model-spec.md, pinned on Minitron's own attention geometry (preset
 * {@code head128}: head_dim 128, rotary on the first 64 dims, hidden / heads = 85). The CPU forward
 * must match the float64 numpy reference ({@code golden/head128-seed13.*}, from
 * {@code src/test/python/reference_forward.py}), and the comparison must be sensitive: the same
 * weights with RoPE over all 128 dims, or over the 42 dims that hidden / heads would give, must
 * fail it by a wide margin.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PartialRopeTest {

    /** As ReferenceLogitsTest: fp32 against float64 differs by ~1e-7 on these ~0.2-sized logits. */
    static final double TOLERANCE = 5e-6;

    private Path checkpoint;
    private int[] tokens;
    private int vocab;
    private float[] expected;

    @BeforeAll
    void writeCheckpoint(@TempDir Path dir) throws IOException, NoSuchAlgorithmException {
        JsonNode golden = json("golden/head128-seed13.json");
        tokens = new ObjectMapper().treeToValue(golden.get("tokenIds"), int[].class);
        vocab = golden.get("vocabSize").intValue();
        expected = floats("golden/" + golden.get("logitsFile").asText());
        checkpoint = dir.resolve("head128");
        TinyCheckpoint.write(checkpoint, TinyPreset.HEAD128, 13);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(checkpoint.resolve(Checkpoint.SINGLE_FILE)))))
                .as("the generator changed; regenerate golden/head128-seed13 (see golden/README.md)")
                .isEqualTo(golden.get("modelSafetensorsSha256").asText());
        assertThat(TinyPreset.HEAD128.config().rotaryDim()).isEqualTo(64);
        assertThat(TinyPreset.HEAD128.config().hiddenSize() / TinyPreset.HEAD128.config().numAttentionHeads()).isEqualTo(85);
    }

    @Test
    void rotaryOnTheFirst64Of128DimsMatchesTheReference() {
        assertThat(maxError(CpuLogits.of(checkpoint, tokens))).isLessThan(TOLERANCE);
    }

    @Test
    void fullWidthRopeOnTheSameWeightsFailsTheComparison() throws IOException {
        Path wrong = withRotaryFactor("full", 1.0);
        assertThat(maxError(CpuLogits.of(wrong, tokens))).as("rotary 128 of 128").isGreaterThan(100 * TOLERANCE);
    }

    @Test
    void ropeWidthFromHiddenOverHeadsFailsTheComparison() throws IOException {
        Path wrong = withRotaryFactor("hidden-over-heads", 42.0 / 128.0); // 85 * 0.5 = 42, as old converters did
        assertThat(maxError(CpuLogits.of(wrong, tokens))).as("rotary 42 of 128").isGreaterThan(100 * TOLERANCE);
    }

    private double maxError(float[][] logits) {
        double max = 0;
        int argmaxAgree = 0;
        for (int t = 0; t < tokens.length; t++) {
            int ref = 0;
            for (int v = 1; v < vocab; v++) {
                ref = expected[t * vocab + v] > expected[t * vocab + ref] ? v : ref;
            }
            argmaxAgree += CpuLogits.argmax(logits[t]) == ref ? 1 : 0;
        }
        for (int t = 0; t < tokens.length; t++) {
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, Math.abs(logits[t][v] - expected[t * vocab + v]));
            }
        }
        System.getLogger(PartialRopeTest.class.getName()).log(System.Logger.Level.INFO,
                "max |logit error| vs numpy {0}, argmax agreement {1}/{2}", String.format("%.3e", max), argmaxAgree, tokens.length);
        return max;
    }

    /** A copy of the checkpoint whose config.json rotates a different width; weights untouched. */
    private Path withRotaryFactor(String name, double factor) throws IOException {
        Path dir = checkpoint.resolveSibling(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(Checkpoint.CONFIG), Files.readString(checkpoint.resolve(Checkpoint.CONFIG))
                .replace("\"partial_rotary_factor\" : 0.5", "\"partial_rotary_factor\" : " + factor));
        Files.copy(checkpoint.resolve(Checkpoint.SINGLE_FILE), dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertThat(c.config().rotaryDim()).isNotEqualTo(64);
        }
        return dir;
    }

    static JsonNode json(String resource) throws IOException {
        try (InputStream in = PartialRopeTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new ObjectMapper().readTree(in);
        }
    }

    static float[] floats(String resource) throws IOException {
        try (InputStream in = PartialRopeTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            ByteBuffer bytes = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bytes.remaining() / 4];
            bytes.asFloatBuffer().get(out);
            return out;
        }
    }
}
