package dev.minitron.engine.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A memory-mapped, validated {@code .safetensors} file. Tensor views are slices of the mapping
 * and become invalid when this file is closed.
 */
public final class SafetensorsFile implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final Map<String, TensorView> tensors; // in header order
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, Map<String, TensorView> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates {@code path}; throws {@link CheckpointException} naming the file and the problem. */
    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(path, "file of " + size + " bytes is too short for the 8-byte header length");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLength < 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new CheckpointException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " is beyond the 100 MB limit; not a safetensors file?");
            }
            if (8 + headerLength > size) {
                throw new CheckpointException(path, "header of " + headerLength + " bytes runs past the end of the file ("
                        + size + " bytes); the file is truncated or not safetensors");
            }
            byte[] json = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            long dataStart = 8 + headerLength;
            var header = SafetensorsHeader.parse(path, json, size - dataStart);
            Map<String, TensorView> tensors = new LinkedHashMap<>();
            for (var e : header.entries().values()) {
                MemorySegment data = file.asSlice(dataStart + e.begin(), e.end() - e.begin());
                tensors.put(e.name(), new TensorView(e.name(), e.dtype(), e.shape(), data));
            }
            return new SafetensorsFile(path, arena, Collections.unmodifiableMap(tensors), header.metadata());
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(path, "no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(path, "cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** All tensors, by name, in header order. */
    public Map<String, TensorView> tensors() {
        return tensors;
    }

    public Optional<TensorView> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** The header's {@code __metadata__}, empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Unmaps the file; every {@link TensorView} of it becomes unusable. Closing twice is harmless. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
