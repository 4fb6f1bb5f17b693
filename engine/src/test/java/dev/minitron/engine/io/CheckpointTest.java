package dev.minitron.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.config.ModelConfigs;
import dev.minitron.engine.tiny.TinyPreset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir
    Path dir;

    @Test
    void opensASingleFileCheckpoint() throws IOException {
        writeConfig();
        shard("model.safetensors", "a", "b");
        try (var c = Checkpoint.open(dir)) {
            assertThat(c.config()).isEqualTo(TinyPreset.TINY.config());
            assertThat(c.tensors().keySet()).containsExactly("a", "b");
            assertThat(c.tensor("b").toFloatArray()).containsExactly(0f, 0f);
        }
    }

    @Test
    void opensAShardedCheckpointThroughItsIndex() throws IOException {
        writeConfig();
        shard("model-00001-of-00002.safetensors", "a", "b");
        shard("model-00002-of-00002.safetensors", "c");
        index(Map.of("a", "model-00001-of-00002.safetensors", "b", "model-00001-of-00002.safetensors",
                "c", "model-00002-of-00002.safetensors"));
        try (var c = Checkpoint.open(dir)) {
            assertThat(c.tensors().keySet()).containsExactlyInAnyOrder("a", "b", "c");
        }
    }

    @Test
    void opensAShardedPytorchBinCheckpointThroughItsIndex() throws IOException {
        writeConfig();
        torchShard("pytorch_model-00001-of-00002.bin", "a", "b");
        torchShard("pytorch_model-00002-of-00002.bin", "c");
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), new ObjectMapper().writeValueAsString(Map.of(
                "metadata", Map.of("total_size", 24), "weight_map", Map.of("a", "pytorch_model-00001-of-00002.bin",
                        "b", "pytorch_model-00001-of-00002.bin", "c", "pytorch_model-00002-of-00002.bin"))));
        try (var c = Checkpoint.open(dir)) {
            assertThat(c.tensors().keySet()).containsExactlyInAnyOrder("a", "b", "c");
            assertThat(c.tensor("c").toFloatArray()).containsExactly(0f, 0f);
        }
    }

    @Test
    void prefersSafetensorsOverPytorchBinLikeTransformers() throws IOException {
        writeConfig();
        shard("model.safetensors", "from_safetensors");
        torchShard("pytorch_model.bin", "from_bin");
        try (var c = Checkpoint.open(dir)) {
            assertThat(c.tensors().keySet()).containsExactly("from_safetensors");
        }
    }

    private void torchShard(String file, String... names) throws IOException {
        var specs = Arrays.stream(names).map(n -> new TensorSpec(n, DType.F32, new long[] {2})).toList();
        try (var w = dev.minitron.engine.io.torch.TorchCheckpointWriter.create(dir.resolve(file), specs)) {
            for (String n : names) {
                w.write(n, java.nio.ByteBuffer.allocate(8));
            }
        }
    }

    @Test
    void namesAShardTheIndexListsButTheDirectoryLacks() throws IOException {
        writeConfig();
        shard("model-00001-of-00002.safetensors", "a");
        index(Map.of("a", "model-00001-of-00002.safetensors", "c", "model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("do not exist").hasMessageContaining("model-00002-of-00002.safetensors");
    }

    @Test
    void rejectsAnIndexThatPutsATensorInTheWrongShard() throws IOException {
        writeConfig();
        shard("s1.safetensors", "a");
        shard("s2.safetensors", "c");
        index(Map.of("a", "s2.safetensors", "c", "s2.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageContaining("tensor \"a\" is in s2.safetensors, but that shard does not contain it");
    }

    @Test
    void saysWhatItExpectsOfAMissingDirectory() {
        Path missing = dir.resolve("Minitron-8B-Base");
        assertThatThrownBy(() -> Checkpoint.open(missing)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(missing + ": no such directory")
                .hasMessageContaining("config.json").hasMessageContaining("model.safetensors");
    }

    @Test
    void saysWhatItExpectsWithoutAConfig() throws IOException {
        shard("model.safetensors", "a");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("no config.json");
    }

    @Test
    void namesAPytorchBinThatIsNotATorchZip() throws IOException {
        writeConfig();
        Files.write(dir.resolve("pytorch_model.bin"), new byte[16]);
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(dir.resolve("pytorch_model.bin") + ": ")
                .hasMessageContaining("not a torch.save ZIP archive");
    }

    @Test
    void saysWhatItExpectsWithoutWeights() throws IOException {
        writeConfig();
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageContaining("no weights file").hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("pytorch_model.bin");
    }

    @Test
    void namesAMissingTensor() throws IOException {
        writeConfig();
        shard("model.safetensors", "a");
        try (var c = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> c.tensor("lm_head.weight")).hasMessageContaining("missing tensor \"lm_head.weight\"");
        }
    }

    @Test
    void reportsAnInvalidConfigAsACheckpointError() throws IOException {
        Files.writeString(dir.resolve("config.json"), ModelConfigs.toJsonString(TinyPreset.TINY.config()).replace("relu2", "silu"));
        shard("model.safetensors", "a");
        assertThatThrownBy(() -> Checkpoint.open(dir)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json").hasMessageContaining("hidden_act");
    }

    private void writeConfig() throws IOException {
        Files.writeString(dir.resolve("config.json"), ModelConfigs.toJsonString(TinyPreset.TINY.config()));
    }

    private void shard(String file, String... names) throws IOException {
        var specs = Arrays.stream(names).map(n -> new TensorSpec(n, DType.F32, new long[] {2})).toList();
        var data = new HashMap<String, byte[]>();
        specs.forEach(s -> data.put(s.name(), new byte[8]));
        SafetensorsWriter.write(dir.resolve(file), specs, data);
    }

    private void index(Map<String, String> weightMap) throws IOException {
        var json = new ObjectMapper().createObjectNode();
        json.putObject("metadata").put("total_size", 0);
        var map = json.putObject("weight_map");
        weightMap.forEach(map::put);
        Files.writeString(dir.resolve("model.safetensors.index.json"), json.toPrettyString());
    }
}
