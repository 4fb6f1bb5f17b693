package dev.minitron.engine.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Streams a {@code .safetensors} file: the header is written up front from the tensor specs, then
 * the tensors' bytes in spec order, in as many {@link #write} calls as the caller likes, so a
 * 16 GB checkpoint never has to be in memory. {@link #close} checks that every byte arrived.
 */
public final class SafetensorsWriter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final List<TensorSpec> specs;
    private int current;        // index into specs of the tensor being written
    private long remaining;     // bytes still owed to specs[current]

    private SafetensorsWriter(Path path, FileChannel channel, List<TensorSpec> specs) {
        this.path = path;
        this.channel = channel;
        this.specs = specs;
        this.remaining = specs.isEmpty() ? 0 : specs.getFirst().byteSize();
    }

    /** Creates (or truncates) {@code path} and writes the header for {@code specs}, in that order. */
    public static SafetensorsWriter create(Path path, List<TensorSpec> specs, Map<String, String> metadata) throws IOException {
        byte[] header = header(specs, metadata);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
        writeFully(channel, length);
        writeFully(channel, ByteBuffer.wrap(header));
        return new SafetensorsWriter(path, channel, List.copyOf(specs));
    }

    /** The JSON header, space-padded to a multiple of 8 bytes. */
    static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (TensorSpec s : specs) {
            ObjectNode e = root.putObject(s.name());
            e.put("dtype", s.dtype().safetensorsName());
            var shape = e.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            e.putArray("data_offsets").add(offset).add(offset + s.byteSize());
            offset += s.byteSize();
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) & ~7);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    /** Appends the next bytes of tensor {@code name}, which must be the tensor being written or the next one. */
    public void write(String name, ByteBuffer bytes) throws IOException {
        while (remaining == 0 && current < specs.size() - 1 && !specs.get(current).name().equals(name)) {
            current++;
            remaining = specs.get(current).byteSize();
        }
        if (current >= specs.size() || !specs.get(current).name().equals(name)) {
            throw new IllegalStateException(path + ": got bytes for \"" + name + "\" but expected \""
                    + (current < specs.size() ? specs.get(current).name() : "<end>") + "\"");
        }
        if (bytes.remaining() > remaining) {
            throw new IllegalStateException(path + ": " + bytes.remaining() + " bytes for \"" + name
                    + "\" but only " + remaining + " remain");
        }
        remaining -= bytes.remaining();
        writeFully(channel, bytes);
    }

    /** Closes the file; throws if a tensor did not receive all its bytes. */
    @Override
    public void close() throws IOException {
        channel.close();
        boolean complete = remaining == 0 && (specs.isEmpty() || current == specs.size() - 1
                || specs.subList(current + 1, specs.size()).stream().allMatch(s -> s.byteSize() == 0));
        if (!complete) {
            throw new IllegalStateException(path + ": closed before all tensors were written (at \""
                    + specs.get(current).name() + "\", " + remaining + " bytes missing)");
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Writes a whole file of small tensors held in memory: {@code data} maps each spec's name to its bytes. */
    public static void write(Path path, List<TensorSpec> specs, Map<String, byte[]> data) {
        try (var w = create(path, specs, Map.of())) {
            for (TensorSpec s : specs) {
                w.write(s.name(), ByteBuffer.wrap(data.get(s.name())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
