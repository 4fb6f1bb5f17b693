package dev.minitron.engine.io.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.TensorView;
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
                assertThat(u.data().address() % 64).as("%s is mapped in place, 64-byte aligned", t.name()).isZero();
            }
        }
    }

    @Test
    void theCpuBackendGivesIdenticalLogitsFromEitherFormat() throws IOException {
        Path st = dir.resolve("st");
        Path bin = dir.resolve("bin");
        TinyCheckpoint.write(st, TinyPreset.TINY.config(), 5, WeightsFormat.SAFETENSORS);
        TinyCheckpoint.write(bin, TinyPreset.TINY.config(), 5, WeightsFormat.PYTORCH_BIN);
        int[] tokens = {2, 17, 400, 5, 901, 33, 33, 700, 12, 1000};
        float[][] expected = logits(st, tokens);
        float[][] actual = logits(bin, tokens);
        // The weights are bit-identical (test above), but the CPU backend's vector reductions may sum in
        // another order once the JIT compiles them (seen: 4e-8 apart between a cold and a warm run of
        // the same file), so logits are compared to 1e-6, argmax exactly.
        for (int t = 0; t < tokens.length; t++) {
            assertThat(actual[t]).as("position %d", t).containsExactly(expected[t], within(1e-6f));
            assertThat(argmax(actual[t])).isEqualTo(argmax(expected[t]));
        }
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            best = row[i] > row[best] ? i : best;
        }
        return best;
    }

    /** Logits of every position of one sequence, prefilled into a fresh KV cache. */
    static float[][] logits(Path checkpoint, int[] tokens) {
        int blockSize = 16;
        int blocks = (tokens.length + blockSize - 1) / blockSize;
        int[] table = new int[blocks];
        int[] positions = new int[tokens.length];
        int[] slots = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            positions[i] = i;
            slots[i] = i;
        }
        for (int b = 0; b < blocks; b++) {
            table[b] = b;
        }
        try (CpuBackend backend = CpuBackend.load(checkpoint, 1)) {
            backend.allocateKvCache(blocks, blockSize);
            return backend.forward(new ForwardBatch(tokens, positions, slots, new int[] {0, tokens.length},
                    new int[] {tokens.length}, new int[][] {table}, positions.clone()));
        }
    }
}
