package dev.minitron.engine.io;

import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.config.ModelConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face checkpoint directory: {@code config.json} plus either {@code model.safetensors}
 * or {@code model.safetensors.index.json} and its shards, all memory-mapped until {@link #close}.
 */
public final class Checkpoint implements AutoCloseable {

    public static final String CONFIG = "config.json";
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String PYTORCH_FILE = "pytorch_model.bin";

    private static final String EXPECTED = "expected a Hugging Face checkpoint directory with " + CONFIG + " and "
            + SINGLE_FILE + " (or " + INDEX_FILE + " and its shards)";

    private final Path directory;
    private final ModelConfig config;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorView> tensors;

    private Checkpoint(Path directory, ModelConfig config, List<SafetensorsFile> files, Map<String, TensorView> tensors) {
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
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Path index = dir.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) {
                openSharded(dir, index, files);
            } else if (Files.isRegularFile(dir.resolve(SINGLE_FILE))) {
                files.add(SafetensorsFile.open(dir.resolve(SINGLE_FILE)));
            } else if (Files.isRegularFile(dir.resolve(PYTORCH_FILE))) {
                throw new CheckpointException(dir, "only " + PYTORCH_FILE + " found; reading PyTorch .bin checkpoints is "
                        + "coming, until then convert it to " + SINGLE_FILE + " (e.g. the refs/pr/4 revision of Minitron-8B-Base)");
            } else {
                throw new CheckpointException(dir, "no " + SINGLE_FILE + " or " + INDEX_FILE + "; " + EXPECTED);
            }
            Map<String, TensorView> tensors = new LinkedHashMap<>();
            files.forEach(f -> tensors.putAll(f.tensors()));
            return new Checkpoint(dir, config, List.copyOf(files), Collections.unmodifiableMap(tensors));
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static void openSharded(Path dir, Path indexFile, List<SafetensorsFile> files) {
        ShardIndex index = ShardIndex.read(indexFile);
        index.requireShardsExist(dir, indexFile);
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        for (String shard : index.shards()) {
            SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard));
            files.add(f);
            byName.put(shard, f);
        }
        index.requireConsistentWith(byName, indexFile);
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
        files.forEach(SafetensorsFile::close);
    }
}
