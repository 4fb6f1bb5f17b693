package dev.minitron.engine.io.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.TensorView;
import dev.minitron.engine.reference.CpuLogits;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tiny.WeightsFormat;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our pytorch_model.bin writer and reader against each other and against the safetensors path. */
class TorchCheckpointFileTest {

    @TempDir
    Path dir;

    @Test
    void aGeneratedBinHoldsExactlyTheTensorsOfTheSafetensorsCheckpoint() throws IOException {
        Path st = dir.resolve("st");
        Path bin = dir.resolve("bin");
        TinyCheckpoint.write(st, TinyPreset.TINY.config(), 3, WeightsFormat.SAFETENSORS);
        TinyCheckpoint.write(bin, TinyPreset.TINY.config(), 3, WeightsFormat.PYTORCH_BIN);
        try (Checkpoint a = Checkpoint.open(st); Checkpoint b = Checkpoint.open(bin)) {
            assertThat(b.tensors().keySet()).containsExactlyElementsOf(a.tensors().keySet());
            for (TensorView t : a.tensors().values()) {
                TensorView u = b.tensor(t.name());
                assertThat(u.dtype()).isEqualTo(t.dtype());
                assertThat(u.shape()).containsExactly(t.shape());
                assertThat(u.data().toArray(ValueLayout.JAVA_BYTE)).as(t.name()).isEqualTo(t.data().toArray(ValueLayout.JAVA_BYTE));
                assertThat(u.data().isMapped()).as("%s is a slice of the mapped file, not a copy", t.name()).isTrue();
                assertThat(u.data().address() % 64).as("%s starts 64-byte aligned, as torch writes", t.name()).isZero();
            }
        }
    }

    @Test
    void zip64RecordsAreWrittenAndReadBack() throws IOException {
        // an 8B checkpoint needs ZIP64 offsets; force them on a small file (limit 0) to read them here
        var specs = java.util.List.of(new dev.minitron.engine.io.TensorSpec("a", dev.minitron.engine.io.DType.F32, new long[] {2, 2}),
                new dev.minitron.engine.io.TensorSpec("b", dev.minitron.engine.io.DType.BF16, new long[] {3}));
        Path file = dir.resolve("zip64.bin");
        try (TorchCheckpointWriter w = TorchCheckpointWriter.create(file, specs, 0)) {
            w.write("a", java.nio.ByteBuffer.wrap(floats(1, 2, 3, 4)));
            w.write("b", java.nio.ByteBuffer.wrap(new byte[] {(byte) 0x80, 0x3f, 0, 0x40, 0x40, 0x40}));
        }
        byte[] bytes = java.nio.file.Files.readAllBytes(file);
        assertThat(indexOf(bytes, new byte[] {0x50, 0x4b, 0x06, 0x06})).as("a ZIP64 end record").isPositive();
        try (TorchCheckpointFile f = TorchCheckpointFile.open(file)) {
            assertThat(f.tensors().get("a").toFloatArray()).containsExactly(1, 2, 3, 4);
            assertThat(f.tensors().get("b").toFloatArray()).containsExactly(1, 2, 3);
        }
    }

    private static byte[] floats(float... v) {
        var b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void theCpuBackendGivesIdenticalLogitsFromEitherFormat() throws IOException {
        Path st = dir.resolve("st");
        Path bin = dir.resolve("bin");
        TinyCheckpoint.write(st, TinyPreset.TINY.config(), 5, WeightsFormat.SAFETENSORS);
        TinyCheckpoint.write(bin, TinyPreset.TINY.config(), 5, WeightsFormat.PYTORCH_BIN);
        int[] tokens = {2, 17, 400, 5, 901, 33, 33, 700, 12, 1000};
        float[][] expected = CpuLogits.of(st, tokens);
        float[][] actual = CpuLogits.of(bin, tokens);
        // The weights are bit-identical (test above), but the CPU backend's vector reductions may sum in
        // another order once the JIT compiles them (seen: 4e-8 apart between a cold and a warm run of
        // the same file), so logits are compared to 1e-6, argmax exactly.
        for (int t = 0; t < tokens.length; t++) {
            assertThat(actual[t]).as("position %d", t).containsExactly(expected[t], within(1e-6f));
            assertThat(CpuLogits.argmax(actual[t])).isEqualTo(CpuLogits.argmax(expected[t]));
        }
    }
}
