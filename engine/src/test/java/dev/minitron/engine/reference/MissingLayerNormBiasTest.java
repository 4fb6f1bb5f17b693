package dev.minitron.engine.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.SafetensorsFile;
import dev.minitron.engine.io.SafetensorsWriter;
import dev.minitron.engine.io.TensorSpec;
import dev.minitron.engine.io.TensorView;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Some Nemotron conversions carry LayerNorm weights but no biases. Such a checkpoint must load,
 * warn once per missing bias, and compute exactly what the same checkpoint with zero biases does.
 */
class MissingLayerNormBiasTest {

    @TempDir
    Path dir;

    @Test
    void aCheckpointWithoutLayerNormBiasesWarnsAndActsAsZeroBiases() throws IOException {
        Path original = dir.resolve("original");
        TinyCheckpoint.write(original, TinyPreset.TINY, 11);
        Path noBias = copyWith(original, dir.resolve("no-bias"), true);
        Path zeroBias = copyWith(original, dir.resolve("zero-bias"), false);
        int[] tokens = {2, 40, 41, 42, 900, 7, 7, 300};

        List<String> warnings = new ArrayList<>();
        Logger logger = Logger.getLogger("dev.minitron.engine.backend.cpu.LayerNorm1P");
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        float[][] withoutBias;
        try {
            withoutBias = CpuLogits.of(noBias, tokens);
        } finally {
            logger.removeHandler(handler);
        }
        float[][] withZeroBias = CpuLogits.of(zeroBias, tokens);
        float[][] withRealBias = CpuLogits.of(original, tokens);

        int layerNorms = 2 * TinyPreset.TINY.config().numHiddenLayers() + 1;
        assertThat(warnings).hasSize(layerNorms).allSatisfy(w -> assertThat(w).contains("bias").contains(noBias.toString()));
        for (int t = 0; t < tokens.length; t++) {
            assertThat(withoutBias[t]).containsExactly(withZeroBias[t], within(1e-6f));
        }
        // and the biases matter, so the comparison above is not vacuous
        assertThat(maxDiff(withRealBias, withZeroBias)).isGreaterThan(1e-3);
    }

    private static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int t = 0; t < a.length; t++) {
            for (int v = 0; v < a[t].length; v++) {
                max = Math.max(max, Math.abs(a[t][v] - b[t][v]));
            }
        }
        return max;
    }

    /** {@code from}'s checkpoint with every LayerNorm bias dropped ({@code drop}) or zeroed. */
    private static Path copyWith(Path from, Path to, boolean drop) throws IOException {
        Files.createDirectories(to);
        Files.copy(from.resolve(Checkpoint.CONFIG), to.resolve(Checkpoint.CONFIG));
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, byte[]> data = new HashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(from.resolve(Checkpoint.SINGLE_FILE))) {
            for (TensorView t : f.tensors().values()) {
                boolean bias = t.name().endsWith("layernorm.bias") || t.name().equals("model.norm.bias");
                if (bias && drop) {
                    continue;
                }
                specs.add(new TensorSpec(t.name(), t.dtype(), t.shape()));
                data.put(t.name(), bias ? new byte[(int) t.data().byteSize()] : t.data().toArray(ValueLayout.JAVA_BYTE));
            }
        }
        SafetensorsWriter.write(to.resolve(Checkpoint.SINGLE_FILE), specs, data);
        return to;
    }
}
