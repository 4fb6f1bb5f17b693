package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU forward against logits computed independently by {@code src/test/python/reference_forward.py}
 * (numpy, float64, written from model-spec.md) on the same generated tiny checkpoint. See
 * {@code src/test/resources/golden/README.md} for how the fixture was made.
 */
class ReferenceLogitsTest {

    /**
     * Absolute tolerance on every logit. Logits are ~0.2 in magnitude; fp32 against float64 differs by
     * ~2e-7, while the smallest spec deviation tried (cos/sin not rounded to bf16) moves logits 2e-5.
     */
    static final double TOLERANCE = 5e-6;

    @TempDir
    Path dir;

    @Test
    void fullPromptLogitsMatchTheNumpyReferenceAtEveryPosition() throws Exception {
        JsonNode golden = resourceJson("golden/tiny-seed7.json");
        int[] tokens = new ObjectMapper().treeToValue(golden.get("tokenIds"), int[].class);
        int vocab = golden.get("vocabSize").intValue();
        float[] expected = resourceFloats("golden/" + golden.get("logitsFile").asText());
        TinyModel.write(dir);
        assertThat(sha256(dir.resolve("model.safetensors")))
                .as("the tiny checkpoint generator changed; regenerate the golden fixture (see golden/README.md)")
                .isEqualTo(golden.get("modelSafetensorsSha256").asText());

        float[][] logits;
        try (CpuBackend backend = CpuBackend.load(dir, 2)) {
            backend.allocateKvCache(16, 4);
            logits = backend.forward(new BatchBuilder(4).add(new int[] {9, 2, 14, 5, 0, 11}, 0, tokens, true).build());
        }

        double maxError = 0;
        for (int t = 0; t < tokens.length; t++) {
            int argmax = 0;
            for (int v = 0; v < vocab; v++) {
                maxError = Math.max(maxError, Math.abs(logits[t][v] - expected[t * vocab + v]));
                argmax = logits[t][v] > logits[t][argmax] ? v : argmax;
            }
            assertThat(argmax).as("argmax at position %d", t).isEqualTo(golden.get("argmax").get(t).intValue());
        }
        System.getLogger(getClass().getName()).log(System.Logger.Level.INFO, "max |logit error| vs numpy: {0}", String.format("%.3e", maxError));
        assertThat(maxError).isLessThan(TOLERANCE);
    }

    private static JsonNode resourceJson(String name) throws IOException {
        try (InputStream in = ReferenceLogitsTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return new ObjectMapper().readTree(in);
        }
    }

    private static float[] resourceFloats(String name) throws IOException {
        try (InputStream in = ReferenceLogitsTest.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            ByteBuffer bytes = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[bytes.remaining() / 4];
            bytes.asFloatBuffer().get(out);
            return out;
        }
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
