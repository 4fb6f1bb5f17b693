package dev.minitron.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsTensorsOfEveryDtypeAndTheMetadata() throws IOException {
        Path file = dir.resolve("t.safetensors");
        var specs = List.of(
                new TensorSpec("a.bf16", DType.BF16, new long[] {2, 3}),
                new TensorSpec("b.f16", DType.F16, new long[] {4}),
                new TensorSpec("c.f32", DType.F32, new long[] {2, 2}),
                new TensorSpec("d.empty", DType.F32, new long[] {0, 5}));
        try (var w = SafetensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            w.write("a.bf16", shorts(0x3F80, 0x4000, 0xBF80, 0x3F00, 0x0000, 0x4040)); // 1, 2, -1, 0.5, 0, 3
            w.write("b.f16", shorts(0x3C00, 0xC000, 0x3800, 0x7BFF));                // 1, -2, 0.5, 65504
            w.write("c.f32", floats(1.5f, -2.25f));
            w.write("c.f32", floats(1e-3f, 7f));
            w.write("d.empty", ByteBuffer.allocate(0));
        }
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLength % 8).isZero();

        try (var f = SafetensorsFile.open(file)) {
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(f.tensors().keySet()).containsExactly("a.bf16", "b.f16", "c.f32", "d.empty");
            TensorView a = f.tensor("a.bf16").orElseThrow();
            assertThat(a.dtype()).isEqualTo(DType.BF16);
            assertThat(a.shape()).containsExactly(2, 3);
            assertThat(a.toFloatArray()).containsExactly(1f, 2f, -1f, 0.5f, 0f, 3f);
            assertThat(f.tensor("b.f16").orElseThrow().toFloatArray()).containsExactly(1f, -2f, 0.5f, 65504f);
            assertThat(f.tensor("c.f32").orElseThrow().toFloatArray()).containsExactly(1.5f, -2.25f, 1e-3f, 7f);
            assertThat(f.tensor("d.empty").orElseThrow().numel()).isZero();
        }
    }

    @Test
    void refusesToCloseBeforeEveryTensorIsWritten() throws IOException {
        var w = SafetensorsWriter.create(dir.resolve("t.safetensors"),
                List.of(new TensorSpec("x", DType.F32, new long[] {2})), Map.of());
        w.write("x", floats(1f));
        assertThatThrownBy(w::close).hasMessageContaining("4 bytes missing");
    }

    @Test
    void rejectsAFileTooShortForTheHeaderLength() throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), new byte[5]);
        assertRejected(file).hasMessageContaining("too short");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheLimit() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), 200L * 1024 * 1024, "{}", 0);
        assertRejected(file).hasMessageContaining("100 MB");
    }

    @Test
    void rejectsAHeaderRunningPastTheEndOfTheFile() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), 4096, "{}", 0);
        assertRejected(file).hasMessageContaining("header of 4096 bytes runs past the end of the file");
    }

    @Test
    void rejectsAHeaderThatIsNotJson() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), "{\"a\": [1, 2", 0);
        assertRejected(file).hasMessageContaining("header is not valid JSON");
    }

    @Test
    void rejectsAHeaderThatIsNotAnObject() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), "[1, 2]  ", 0);
        assertRejected(file).hasMessageContaining("not a JSON object");
    }

    @Test
    void rejectsAnUnknownDtype() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"),
                "{\"w\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
        assertRejected(file).hasMessageContaining("tensor \"w\": unsupported dtype \"I64\"");
    }

    @Test
    void rejectsAShapeThatDoesNotMatchItsByteRange() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        assertRejected(file).hasMessageContaining("tensor \"w\": shape [3] F32 needs 12 bytes but data_offsets [0, 8] hold 8");
    }

    @Test
    void rejectsAGapBetweenTensors() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), """
                {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},
                 "b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12);
        assertRejected(file).hasMessageContaining("gap of 4 bytes").hasMessageContaining("\"b\"");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"), """
                {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                 "b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8);
        assertRejected(file).hasMessageContaining("overlaps");
    }

    @Test
    void rejectsDataRunningPastTheEndOfTheFile() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[8],\"data_offsets\":[0,16]}}", 10);
        assertRejected(file).hasMessageContaining("past the end of the file").hasMessageContaining("truncated");
    }

    @Test
    void rejectsTrailingBytesAfterTheLastTensor() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 12);
        assertRejected(file).hasMessageContaining("8 trailing bytes");
    }

    @Test
    void rejectsDataOffsetsThatEndBeforeTheyBegin() throws IOException {
        Path file = RawSafetensors.write(dir.resolve("bad.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4);
        assertRejected(file).hasMessageContaining("end 0 < begin 4");
    }

    @Test
    void namesAMissingFile() {
        Path file = dir.resolve("nope.safetensors");
        assertRejected(file).hasMessageContaining("no such file");
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(Path file) {
        return assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(file.toString());
    }

    private static ByteBuffer shorts(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.flip();
    }

    private static ByteBuffer floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.flip();
    }
}
