package dev.minitron.engine.io;

import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.config.ModelConfigs;
import dev.minitron.engine.io.torch.TorchCheckpointFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face checkpoint directory: {@code config.json} plus the weights as
 * {@code model.safetensors}, {@code model.safetensors.index.json} and its shards,
 * {@code pytorch_model.bin} (read without executing its pickle), or
 * {@code pytorch_model.bin.index.json} and its shards, all memory-mapped until {@link #close}.
 * Whatever the format, the tensors are the same {@link TensorView}s. Safetensors wins when a
 * directory has both, as in {@code transformers}.
 */
public final class Checkpoint implements AutoCloseable {

    public static final String CONFIG = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String PYTORCH_FILE = "pytorch_model.bin";
    public static final String PYTORCH_INDEX_FILE = "pytorch_model.bin.index.json";

    private static final String EXPECTED = "expected a Hugging Face checkpoint directory with " + CONFIG + " and "
            + SINGLE_FILE + " (or " + INDEX_FILE + " and its shards, or " + PYTORCH_FILE + ", or " + PYTORCH_INDEX_FILE
            + " and its shards)";

    private final Path directory;
    private final ModelConfig config;
    private final List<AutoCloseable> files;
    private final Map<String, TensorView> tensors;

    private Checkpoint(Path directory, ModelConfig config, List<AutoCloseable> files, Map<String, TensorView> tensors) {
        this.directory = directory;
        this.config = config;
        this.files = files;
        this.tensors = tensors;
    }

    /** Opens and validates the checkpoint in {@code dir}; errors say what was expected. */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir, Files.exists(dir) ? "not a directory; " + EXPECTED : "no such directory; " + EXPECTED);
        }
        Path configFile = dir.resolve(CONFIG);
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException(dir, "no " + CONFIG + "; " + EXPECTED);
        }
        ModelConfig config;
        try {
            config = ModelConfigs.read(configFile);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(configFile, e.getMessage().replace(configFile + ": ", ""), e);
        }
        List<AutoCloseable> files = new ArrayList<>();
        Map<String, TensorView> tensors = new LinkedHashMap<>();
        try {
            if (Files.isRegularFile(dir.resolve(INDEX_FILE))) {
                openSharded(dir, dir.resolve(INDEX_FILE), false, files, tensors);
            } else if (Files.isRegularFile(dir.resolve(SINGLE_FILE))) {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(SINGLE_FILE));
                files.add(f);
                tensors.putAll(f.tensors());
            } else if (Files.isRegularFile(dir.resolve(PYTORCH_INDEX_FILE))) {
                openSharded(dir, dir.resolve(PYTORCH_INDEX_FILE), true, files, tensors);
            } else if (Files.isRegularFile(dir.resolve(PYTORCH_FILE))) {
                TorchCheckpointFile f = TorchCheckpointFile.open(dir.resolve(PYTORCH_FILE));
                files.add(f);
                tensors.putAll(f.tensors());
            } else {
                throw new CheckpointException(dir, "no weights file; " + EXPECTED);
            }
            return new Checkpoint(dir, config, List.copyOf(files), Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            files.forEach(Checkpoint::closeQuietly);
            throw e;
        }
    }

    private static void openSharded(Path dir, Path indexFile, boolean torch, List<AutoCloseable> files,
            Map<String, TensorView> tensors) {
        ShardIndex index = ShardIndex.read(indexFile);
        index.requireShardsExist(dir, indexFile);
        Map<String, Map<String, TensorView>> byName = new LinkedHashMap<>();
        for (String shard : index.shards()) {
            Map<String, TensorView> shardTensors;
            if (torch) {
                TorchCheckpointFile f = TorchCheckpointFile.open(dir.resolve(shard));
                files.add(f);
                shardTensors = f.tensors();
            } else {
                SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard));
                files.add(f);
                shardTensors = f.tensors();
            }
            byName.put(shard, shardTensors);
            tensors.putAll(shardTensors);
        }
        index.requireConsistentWith(byName, indexFile);
    }

    private static void closeQuietly(AutoCloseable file) {
        try {
            file.close();
        } catch (Exception ignored) {
            // the files close their own arenas and throw nothing; this only satisfies AutoCloseable
        }
    }

    public Path directory() {
        return directory;
    }

    public ModelConfig config() {
        return config;
    }

    /** All tensors of all files, by name. */
    public Map<String, TensorView> tensors() {
        return tensors;
    }

    public Optional<TensorView> findTensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The tensor called {@code name}; a missing one is a {@link CheckpointException}. */
    public TensorView tensor(String name) {
        TensorView t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(directory, "missing tensor \"" + name + "\"");
        }
        return t;
    }

    /** Unmaps every file; tensor views become unusable. */
    @Override
    public void close() {
        files.forEach(Checkpoint::closeQuietly);
    }
}
