package dev.minitron.engine.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed JSON header of a safetensors file. Invariant once built: every entry has a known
 * dtype, its byte range matches shape × dtype, and the ranges tile {@code [0, dataSize)} exactly.
 */
record SafetensorsHeader(Map<String, Entry> entries, Map<String, String> metadata) {

    /** Largest header the format allows (the reference implementation's limit). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One tensor's entry; offsets are relative to the first byte after the header. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    }

    /** Parses {@code json} and checks it against a data region of {@code dataSize} bytes. */
    static SafetensorsHeader parse(Path file, byte[] json, long dataSize) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new CheckpointException(file, "header is not valid JSON: " + why, e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file, "header is not a JSON object");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (var field : root.properties()) {
            if (field.getKey().equals("__metadata__")) {
                metadata = parseMetadata(file, field.getValue());
            } else {
                entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue()));
            }
        }
        checkTiling(file, entries.values(), dataSize);
        return new SafetensorsHeader(entries, metadata);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new CheckpointException(file, "__metadata__ must be a JSON object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        node.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().asText()));
        return metadata;
    }

    private static Entry parseEntry(Path file, String name, JsonNode node) {
        if (!node.isObject()) {
            throw new CheckpointException(file, "tensor \"" + name + "\": entry must be a JSON object");
        }
        String dtypeName = node.path("dtype").asText(null);
        DType dtype = DType.fromSafetensorsName(dtypeName).orElseThrow(() -> new CheckpointException(file,
                "tensor \"" + name + "\": unsupported dtype " + node.get("dtype") + " (supported: BF16, F16, F32)"));
        long[] shape = longs(file, name, "shape", node.get("shape"), -1);
        long[] offsets = longs(file, name, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new CheckpointException(file, "tensor \"" + name + "\": data_offsets end " + end + " < begin " + begin);
        }
        long expected;
        try {
            expected = Math.multiplyExact(TensorView.numel(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, "tensor \"" + name + "\": shape " + Arrays.toString(shape) + " overflows");
        }
        if (expected != end - begin) {
            throw new CheckpointException(file, "tensor \"" + name + "\": shape " + Arrays.toString(shape) + " " + dtype
                    + " needs " + expected + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] longs(Path file, String name, String key, JsonNode node, int length) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new CheckpointException(file, "tensor \"" + name + "\": \"" + key + "\" must be an array"
                    + (length >= 0 ? " of " + length + " integers" : " of integers"));
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new CheckpointException(file, "tensor \"" + name + "\": \"" + key + "\" has a bad value " + v);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkTiling(Path file, Iterable<Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>();
        entries.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin() > expectedBegin) {
                throw new CheckpointException(file, "gap of " + (e.begin() - expectedBegin) + " bytes in the data before tensor \""
                        + e.name() + "\" (offset " + expectedBegin + ")");
            }
            if (e.begin() < expectedBegin) {
                throw new CheckpointException(file, "tensor \"" + e.name() + "\" overlaps tensor \"" + previous
                        + "\" (begins at " + e.begin() + ", before " + expectedBegin + ")");
            }
            expectedBegin = e.end();
            previous = e.name();
        }
        if (expectedBegin > dataSize) {
            throw new CheckpointException(file, "tensor \"" + previous + "\" ends at data offset " + expectedBegin
                    + ", past the end of the file (data region is " + dataSize + " bytes); the file may be truncated");
        }
        if (expectedBegin < dataSize) {
            throw new CheckpointException(file, (dataSize - expectedBegin) + " trailing bytes after the last tensor"
                    + " (tensors end at data offset " + expectedBegin + " of " + dataSize + ")");
        }
    }
}
