package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.io.SafetensorsFile;
import dev.minitron.engine.io.SafetensorsWriter;
import dev.minitron.engine.io.TensorSpec;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuBackendTest {

    @TempDir
    static Path dir;
    private static CpuBackend backend;

    @BeforeAll
    static void load() throws IOException {
        backend = CpuBackend.load(TinyModel.write(dir), 2);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @Test
    void describesItself() {
        assertThat(backend.name()).isEqualTo("cpu");
        assertThat(backend.modelConfig().hiddenSize()).isEqualTo(96);
    }

    @Test
    void kvBlockBytesAreLayersTimesKAndVTimesFp32Slots() {
        // 2 layers × (K, V) × 16 tokens × 2 KV heads × 16 dims × 4 bytes
        assertThat(backend.kvBytesPerBlock(16)).isEqualTo(2L * 2 * 16 * 2 * 16 * 4);
    }

    @Test
    void returnsOneVocabularyRowPerLogitsIndex() {
        backend.allocateKvCache(8, 4);
        float[][] logits = backend.forward(new BatchBuilder(4).add(new int[] {3, 1}, 0, new int[] {2, 10, 11, 12, 13}, false).build());
        assertThat(logits).hasDimensions(1, 1024);
    }

    @Test
    void rejectsPositionsThatAreNotAtTheEndOfTheContext() {
        backend.allocateKvCache(8, 4);
        ForwardBatch good = new BatchBuilder(4).add(new int[] {0, 1}, 2, new int[] {7, 8}, false).build();
        ForwardBatch shifted = new ForwardBatch(good.tokenIds(), new int[] {1, 2}, good.slotMapping(),
                good.queryStartLoc(), good.seqLens(), good.blockTables(), good.logitsIndices());
        assertThatThrownBy(() -> backend.forward(shifted)).hasMessageContaining("has position 1, expected 2");
    }

    @Test
    void rejectsASlotThatDisagreesWithTheBlockTable() {
        backend.allocateKvCache(8, 4);
        ForwardBatch good = new BatchBuilder(4).add(new int[] {5}, 0, new int[] {7, 8}, false).build();
        ForwardBatch wrongSlot = new ForwardBatch(good.tokenIds(), good.positions(), new int[] {20, 22},
                good.queryStartLoc(), good.seqLens(), good.blockTables(), good.logitsIndices());
        assertThatThrownBy(() -> backend.forward(wrongSlot)).hasMessageContaining("maps to slot 22");
    }

    @Test
    void treatsAMissingNormBiasAsZero(@TempDir Path copy) throws IOException {
        Files.copy(dir.resolve("config.json"), copy.resolve("config.json"));
        try (var original = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            var kept = original.tensors().values().stream().filter(t -> !t.name().equals("model.norm.bias")).toList();
            Map<String, byte[]> bytes = new HashMap<>();
            kept.forEach(t -> bytes.put(t.name(), t.data().toArray(ValueLayout.JAVA_BYTE)));
            SafetensorsWriter.write(copy.resolve("model.safetensors"),
                    kept.stream().map(t -> new TensorSpec(t.name(), t.dtype(), t.shape())).toList(), bytes);
        }
        ForwardBatch batch = new BatchBuilder(4).add(new int[] {0, 1}, 0, new int[] {2, 10, 11}, false).build();
        backend.allocateKvCache(8, 4);
        float[] withBias = backend.forward(batch)[0];
        try (var noBias = CpuBackend.load(copy, 1)) {
            noBias.allocateKvCache(8, 4);
            float[] withoutBias = noBias.forward(batch)[0];
            assertThat(withoutBias).doesNotContain(Float.NaN).isNotEqualTo(withBias);
        }
    }

    @Test
    void rejectsTokenIdsOutsideTheVocabulary() {
        backend.allocateKvCache(8, 4);
        assertThatThrownBy(() -> backend.forward(new BatchBuilder(4).add(new int[] {0}, 0, new int[] {1024}, false).build()))
                .hasMessageContaining("outside the vocabulary");
    }

    @Test
    void rejectsBlockIdsOutsideTheCache() {
        backend.allocateKvCache(8, 4);
        assertThatThrownBy(() -> backend.forward(new BatchBuilder(4).add(new int[] {8}, 0, new int[] {5}, false).build()))
                .hasMessageContaining("block id 8 outside the cache's 8 blocks");
    }
}
