package dev.minitron.engine.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random mutations of a valid safetensors header (and its length prefix): every one must either
 * open cleanly (and then be fully readable) or fail with a {@link CheckpointException} naming the
 * file; no other exception, no hang, no huge allocation.
 */
class SafetensorsFuzzTest {

    private static final String DIGITS = "0123456789";
    private static final String JSON_BITS = "{}[]\":, -0123456789eE.\\ntrue nullBF16F32F16data_offsetsshapedtype__metadata__";

    @TempDir
    Path dir;

    @Test
    void aThousandMutatedHeadersOpenOrFailWithACheckpointException() throws IOException {
        List<TensorSpec> specs = List.of(new TensorSpec("a", DType.F32, new long[] {2, 3}),
                new TensorSpec("model.norm.weight", DType.BF16, new long[] {4}),
                new TensorSpec("b", DType.F16, new long[] {1}));
        Path valid = dir.resolve("valid.safetensors");
        SafetensorsWriter.write(valid, specs, Map.of("a", new byte[24], "model.norm.weight", new byte[8], "b", new byte[2]));
        byte[] whole = Files.readAllBytes(valid);
        long headerLength = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(whole, 8, (int) headerLength, StandardCharsets.UTF_8);
        int dataBytes = whole.length - 8 - (int) headerLength;

        Random random = new Random(7);
        Path file = dir.resolve("fuzzed.safetensors");
        int opened = 0;
        int refused = 0;
        for (int i = 0; i < 1000; i++) {
            String h = mutate(header, random);
            byte[] json = h.getBytes(StandardCharsets.UTF_8);
            long declared = json.length;
            if (random.nextInt(10) == 0) { // a lying length prefix now and then
                declared = switch (random.nextInt(4)) {
                    case 0 -> -1 - random.nextInt(100);
                    case 1 -> Long.MAX_VALUE - random.nextInt(100);
                    case 2 -> json.length + 1 + random.nextInt(64);
                    default -> Math.max(0, json.length - 1 - random.nextInt(16));
                };
            }
            int data = random.nextInt(8) == 0 ? Math.max(0, dataBytes + random.nextInt(9) - 4) : dataBytes;
            ByteBuffer b = ByteBuffer.allocate(8 + json.length + data).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(declared).put(json);
            Files.write(file, b.array());
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                f.tensors().values().forEach(TensorView::toFloatArray);
                opened++;
            } catch (CheckpointException e) {
                assertThat(e).hasMessageStartingWith(file + ": ");
                refused++;
            }
        }
        assertThat(refused).as("most mutations break the header").isGreaterThan(400);
        assertThat(opened).as("some mutations stay valid (e.g. a changed name), so the loop is not rejecting everything")
                .isGreaterThan(10);
    }

    private static String mutate(String header, Random random) {
        StringBuilder s = new StringBuilder(header);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits && !s.isEmpty(); e++) {
            int at = random.nextInt(s.length());
            switch (random.nextInt(6)) {
                case 0 -> s.deleteCharAt(at);
                case 1 -> s.insert(at, JSON_BITS.charAt(random.nextInt(JSON_BITS.length())));
                case 2 -> s.setCharAt(at, JSON_BITS.charAt(random.nextInt(JSON_BITS.length())));
                case 3 -> { // rewrite a digit: offsets and shapes out of range
                    int d = indexOfDigit(s, at);
                    if (d >= 0) {
                        s.setCharAt(d, DIGITS.charAt(random.nextInt(10)));
                    }
                }
                case 4 -> { // a long number: overflow paths
                    int d = indexOfDigit(s, at);
                    if (d >= 0) {
                        s.insert(d, String.valueOf(Math.abs(random.nextLong())));
                    }
                }
                default -> s.insert(at, (char) random.nextInt(0x3000)); // any character, including controls
            }
        }
        return s.toString();
    }

    private static int indexOfDigit(StringBuilder s, int from) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt((from + i) % s.length());
            if (c >= '0' && c <= '9') {
                return (from + i) % s.length();
            }
        }
        return -1;
    }
}
