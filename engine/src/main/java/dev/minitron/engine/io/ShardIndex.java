package dev.minitron.engine.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code model.safetensors.index.json} (or {@code pytorch_model.bin.index.json}): which shard file holds each tensor
 * ({@code {"metadata": {...}, "weight_map": {name: shard}}}).
 */
record ShardIndex(Map<String, String> weightMap) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static ShardIndex read(Path indexFile) {
        JsonNode root;
        try {
            root = JSON.readTree(indexFile.toFile());
        } catch (IOException e) {
            throw new CheckpointException(indexFile, "not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(indexFile, "expected a non-empty \"weight_map\" object of tensor name -> shard file");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (var e : map.properties()) {
            String shard = e.getValue().asText("");
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals("..") || shard.equals(".")) {
                throw new CheckpointException(indexFile, "tensor \"" + e.getKey() + "\" maps to a bad shard name " + e.getValue()
                        + " (expected a file name in the same directory)");
            }
            weightMap.put(e.getKey(), shard);
        }
        return new ShardIndex(weightMap);
    }

    /** The distinct shard file names, in first-mention order. */
    Set<String> shards() {
        return new LinkedHashSet<>(weightMap.values());
    }

    /** Throws naming every shard the index lists that is not in {@code dir}. */
    void requireShardsExist(Path dir, Path indexFile) {
        List<String> missing = shards().stream().filter(s -> !Files.isRegularFile(dir.resolve(s))).toList();
        if (!missing.isEmpty()) {
            throw new CheckpointException(indexFile, "lists shard file(s) that do not exist in " + dir + ": " + missing);
        }
    }

    /** Throws unless every tensor is in the shard the index names, and every shard tensor is indexed. */
    void requireConsistentWith(Map<String, Map<String, TensorView>> shardsByName, Path indexFile) {
        for (var e : weightMap.entrySet()) {
            Map<String, TensorView> shard = shardsByName.get(e.getValue());
            if (!shard.containsKey(e.getKey())) {
                throw new CheckpointException(indexFile, "says tensor \"" + e.getKey() + "\" is in " + e.getValue()
                        + ", but that shard does not contain it");
            }
        }
        for (var shard : shardsByName.entrySet()) {
            for (String name : shard.getValue().keySet()) {
                if (!shard.getKey().equals(weightMap.get(name))) {
                    throw new CheckpointException(indexFile, "does not place tensor \"" + name + "\" in " + shard.getKey()
                            + ", which holds it (index says " + weightMap.get(name) + ")");
                }
            }
        }
    }
}
