package dev.minitron.engine.io.torch;

import dev.minitron.engine.io.CheckpointException;
import dev.minitron.engine.io.TensorView;
import dev.minitron.engine.io.torch.RestrictedUnpickler.TensorRef;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A {@code pytorch_model.bin} written by {@code torch.save} (the ZIP format of PyTorch ≥ 1.6):
 * {@code ARCHIVE/data.pkl} pickles a state dict whose tensors point, through persistent ids, at
 * raw little-endian storages {@code ARCHIVE/data/KEY}. The pickle is read by
 * {@link RestrictedUnpickler}, which executes nothing. Storages are memory-mapped in place when
 * they are STORED and aligned to their element size (torch pads them to 64 bytes), otherwise
 * copied; either way the result is the same {@link TensorView}s a safetensors file gives.
 */
public final class TorchCheckpointFile implements AutoCloseable {

    /** Largest data.pkl accepted: the 8B's is ~30 KB; this bounds memory on a hostile file. */
    static final long MAX_PICKLE_BYTES = 64L * 1024 * 1024;

    private final Path path;
    private final Arena arena;
    private final Map<String, TensorView> tensors;

    private TorchCheckpointFile(Path path, Arena arena, Map<String, TensorView> tensors) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
    }

    /** Maps and validates {@code path}; throws {@link CheckpointException} naming the file and the problem. */
    public static TorchCheckpointFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size >= 2 && file.get(ValueLayout.JAVA_BYTE, 0) == (byte) 0x80 && file.get(ValueLayout.JAVA_BYTE, 1) == 2) {
                throw new CheckpointException(path, "this is the legacy (pre-1.6) torch.save format, which is not supported;"
                        + " re-save it with a current torch.save, or convert it to model.safetensors");
            }
            if (size < 4 || ZipDirectory.u32(file, 0) != 0x04034b50L) {
                throw new CheckpointException(path, "not a torch.save ZIP archive (does not start with a ZIP local header)");
            }
            Map<String, ZipDirectory.Entry> entries = ZipDirectory.read(path, file);
            String prefix = archivePrefix(path, entries);
            checkByteOrder(path, file, entries.get(prefix + "byteorder"));
            ZipDirectory.Entry pklEntry = entries.get(prefix + "data.pkl");
            byte[] pickle = readSmall(path, file, pklEntry);
            Map<String, TensorRef> refs = RestrictedUnpickler.loadStateDict(path, pklEntry.name(), pickle);
            Map<String, MemorySegment> storages = new LinkedHashMap<>();
            Map<String, TensorView> tensors = new LinkedHashMap<>();
            for (var e : refs.entrySet()) {
                TensorRef t = e.getValue();
                MemorySegment storage = storages.get(t.storage().key());
                if (storage == null) {
                    storage = storage(path, file, entries, prefix, t.storage(), arena);
                    storages.put(t.storage().key(), storage);
                }
                tensors.put(e.getKey(), view(path, e.getKey(), t, storage));
            }
            return new TorchCheckpointFile(path, arena, Collections.unmodifiableMap(tensors));
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

    /** The one top-level folder holding data.pkl ("archive/" in torch ≥ 2, the file's stem before). */
    private static String archivePrefix(Path path, Map<String, ZipDirectory.Entry> entries) {
        List<String> pickles = new ArrayList<>();
        for (String name : entries.keySet()) {
            if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                pickles.add(name);
            }
        }
        if (pickles.size() != 1) {
            throw new CheckpointException(path, pickles.isEmpty()
                    ? "no ARCHIVE/data.pkl in the ZIP; not a torch.save checkpoint"
                    : "several data.pkl records " + pickles + "; not a single torch.save checkpoint");
        }
        String pkl = pickles.getFirst();
        return pkl.substring(0, pkl.length() - "data.pkl".length());
    }

    private static void checkByteOrder(Path path, MemorySegment file, ZipDirectory.Entry entry) {
        if (entry == null) {
            return; // torch < 1.11 wrote no byteorder record; those files are little-endian
        }
        String order = new String(readSmall(path, file, entry), StandardCharsets.US_ASCII).strip();
        if (!order.equals("little")) {
            throw new CheckpointException(path, "byteorder record says \"" + order + "\"; only little-endian checkpoints are supported");
        }
    }

    /** A small member (data.pkl, byteorder), inflated if needed and checked against its CRC-32. */
    private static byte[] readSmall(Path path, MemorySegment file, ZipDirectory.Entry e) {
        if (e.size() > MAX_PICKLE_BYTES || e.compressedSize() > MAX_PICKLE_BYTES) {
            throw new CheckpointException(path, e.name() + " of " + e.size() + " bytes is larger than the "
                    + MAX_PICKLE_BYTES + "-byte limit for a state dict pickle");
        }
        byte[] raw = file.asSlice(e.dataOffset(), e.compressedSize()).toArray(ValueLayout.JAVA_BYTE);
        byte[] bytes;
        if (e.method() == ZipDirectory.METHOD_STORED) {
            bytes = raw;
        } else if (e.method() == ZipDirectory.METHOD_DEFLATED) {
            bytes = new byte[(int) e.size()];
            Inflater inflater = new Inflater(true);
            try {
                inflater.setInput(raw);
                int n = inflater.inflate(bytes);
                if (n != bytes.length || !inflater.finished()) {
                    throw new CheckpointException(path, e.name() + ": deflated data does not inflate to the recorded "
                            + e.size() + " bytes");
                }
            } catch (DataFormatException ex) {
                throw new CheckpointException(path, e.name() + ": corrupt deflate data (" + ex.getMessage() + ")", ex);
            } finally {
                inflater.end();
            }
        } else {
            throw new CheckpointException(path, e.name() + " uses ZIP compression method " + e.method()
                    + "; only stored and deflated are supported");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if ((int) crc.getValue() != e.crc32()) {
            throw new CheckpointException(path, e.name() + " fails its CRC-32 check; the file is corrupt");
        }
        return bytes;
    }

    private static MemorySegment storage(Path path, MemorySegment file, Map<String, ZipDirectory.Entry> entries, String prefix,
            RestrictedUnpickler.StorageRef ref, Arena arena) {
        String name = prefix + "data/" + ref.key();
        ZipDirectory.Entry e = entries.get(name);
        if (e == null) {
            throw new CheckpointException(path, "data.pkl refers to storage " + ref.key() + ", but the ZIP has no " + name);
        }
        if (e.method() != ZipDirectory.METHOD_STORED) {
            throw new CheckpointException(path, name + " is compressed (method " + e.method()
                    + "); torch.save stores storages uncompressed, so this file was repacked; re-save it with torch.save");
        }
        long expected;
        try {
            expected = Math.multiplyExact(ref.numel(), ref.dtype().byteSize());
        } catch (ArithmeticException ex) {
            throw new CheckpointException(path, "storage " + ref.key() + " claims " + ref.numel() + " elements");
        }
        if (e.size() != expected) {
            throw new CheckpointException(path, "storage " + ref.key() + " should hold " + ref.numel() + " " + ref.dtype()
                    + " elements (" + expected + " bytes) but " + name + " has " + e.size() + " bytes");
        }
        MemorySegment mapped = file.asSlice(e.dataOffset(), e.size());
        if (e.dataOffset() % ref.dtype().byteSize() == 0) {
            return mapped;
        }
        MemorySegment copy = arena.allocate(e.size(), 64); // misaligned: not written by torch, but still readable
        copy.copyFrom(mapped);
        return copy;
    }

    private static TensorView view(Path path, String name, TensorRef t, MemorySegment storage) {
        long[] size = t.size();
        long[] stride = t.stride();
        if (stride.length != size.length) {
            throw new CheckpointException(path, "tensor \"" + name + "\": size " + Arrays.toString(size) + " and stride "
                    + Arrays.toString(stride) + " differ in rank");
        }
        long numel = 1;
        try {
            for (int i = size.length - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != numel) {
                    throw new CheckpointException(path, "tensor \"" + name + "\" is not contiguous (size "
                            + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                            + "); save it with tensor.contiguous() or convert the checkpoint to safetensors");
                }
                numel = Math.multiplyExact(numel, size[i]);
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(path, "tensor \"" + name + "\": size " + Arrays.toString(size) + " overflows");
        }
        long elements = storage.byteSize() / t.storage().dtype().byteSize();
        if (t.offset() > elements || numel > elements - t.offset()) {
            throw new CheckpointException(path, "tensor \"" + name + "\": elements [" + t.offset() + ", +" + numel
                    + ") lie outside storage " + t.storage().key() + " of " + elements + " elements");
        }
        int b = t.storage().dtype().byteSize();
        return new TensorView(name, t.storage().dtype(), size, storage.asSlice(t.offset() * b, numel * b));
    }

    public Path path() {
        return path;
    }

    /** All tensors, by name, in the pickle's order. */
    public Map<String, TensorView> tensors() {
        return tensors;
    }

    /** Unmaps the file; every {@link TensorView} of it becomes unusable. Closing twice is harmless. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
