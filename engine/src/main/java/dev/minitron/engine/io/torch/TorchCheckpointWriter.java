package dev.minitron.engine.io.torch;

import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Streams a {@code pytorch_model.bin} in the layout {@code torch.save} writes: a ZIP whose
 * members are STORED and start on 64-byte boundaries, {@code archive/data.pkl} (pickle protocol 2
 * of an OrderedDict of {@code _rebuild_tensor_v2} calls over persistent-id storages),
 * {@code archive/byteorder}, one {@code archive/data/N} per tensor and {@code archive/version}.
 * Tensors are written in spec order in any number of {@link #write} calls, so an 8B checkpoint
 * never sits in memory; ZIP64 records are added when offsets pass 4 GiB.
 */
public final class TorchCheckpointWriter implements AutoCloseable {

    static final String ARCHIVE = "archive/";
    private static final int ALIGNMENT = 64;

    private record Member(String name, long localOffset, long size, int crc) {
    }

    /** Sizes and offsets from here on need ZIP64 records (tests lower it to exercise them). */
    static final long ZIP64_LIMIT = 0xFFFFFFFFL;

    private final Path path;
    private final long zip64Limit;
    private final FileChannel channel;
    private final List<TensorSpec> specs;
    private final List<Member> members = new ArrayList<>();
    private int current = -1;
    private long remaining;
    private long currentOffset;
    private CRC32 crc = new CRC32();

    private TorchCheckpointWriter(Path path, FileChannel channel, List<TensorSpec> specs, long zip64Limit) {
        this.path = path;
        this.zip64Limit = zip64Limit;
        this.channel = channel;
        this.specs = specs;
    }

    /** Creates (or truncates) {@code path} and writes data.pkl for {@code specs}; then call {@link #write}. */
    public static TorchCheckpointWriter create(Path path, List<TensorSpec> specs) throws IOException {
        return create(path, specs, ZIP64_LIMIT);
    }

    static TorchCheckpointWriter create(Path path, List<TensorSpec> specs, long zip64Limit) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        TorchCheckpointWriter w = new TorchCheckpointWriter(path, channel, List.copyOf(specs), zip64Limit);
        w.writeWhole(ARCHIVE + "data.pkl", statePickle(specs));
        w.writeWhole(ARCHIVE + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        w.nextTensor();
        return w;
    }

    /** Appends {@code bytes} to the tensor being written ({@code name} must be it, in spec order). */
    public void write(String name, ByteBuffer bytes) throws IOException {
        if (current >= specs.size() || !specs.get(current).name().equals(name)) {
            throw new IllegalStateException(path + ": expected bytes of " + (current < specs.size() ? specs.get(current).name() : "nothing")
                    + ", got " + name);
        }
        if (bytes.remaining() > remaining) {
            throw new IllegalStateException(path + ": too many bytes for " + name);
        }
        remaining -= bytes.remaining();
        crc.update(bytes.duplicate());
        writeFully(bytes);
        if (remaining == 0) {
            finishMember(ARCHIVE + "data/" + current, specs.get(current).byteSize());
            nextTensor();
        }
    }

    /** The pickle torch.save writes for a state dict of these tensors, storage keys "0", "1", ... */
    static byte[] statePickle(List<TensorSpec> specs) {
        var p = new PickleOut();
        p.op(0x80).op(2);                                   // PROTO 2
        p.global("collections", "OrderedDict").op(')').op('R');
        for (int start = 0; start < specs.size(); start += 1000) { // pickle batches SETITEMS by 1000
            p.op('(');
            for (int i = start; i < Math.min(specs.size(), start + 1000); i++) {
                TensorSpec s = specs.get(i);
                p.unicode(s.name());
                p.global("torch._utils", "_rebuild_tensor_v2");
                p.op('(');                                  // args tuple
                p.op('(').unicode("storage").global("torch", storageType(s.dtype())).unicode(Integer.toString(i))
                        .unicode("cpu").integer(s.byteSize() / s.dtype().byteSize()).op('t').op('Q'); // BINPERSID
                p.integer(0);                               // storage offset
                long[] shape = s.shape();
                p.op('(');
                for (long d : shape) {
                    p.integer(d);
                }
                p.op('t').op('(');
                long stride = 1;
                long[] strides = new long[shape.length];
                for (int d = shape.length - 1; d >= 0; d--) {
                    strides[d] = stride;
                    stride *= shape[d];
                }
                for (long st : strides) {
                    p.integer(st);
                }
                p.op('t');
                p.op(0x89);                                 // requires_grad False
                p.global("collections", "OrderedDict").op(')').op('R'); // backward_hooks
                p.op('t').op('R');
            }
            p.op('u');                                      // SETITEMS
        }
        p.op('.');
        return p.bytes();
    }

    private static String storageType(DType t) {
        return switch (t) {
            case BF16 -> "BFloat16Storage";
            case F16 -> "HalfStorage";
            case F32 -> "FloatStorage";
        };
    }

    private void nextTensor() {
        current++;
        while (current < specs.size() && specs.get(current).byteSize() == 0) {
            try {
                startMember(ARCHIVE + "data/" + current);
                finishMember(ARCHIVE + "data/" + current, 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            current++;
        }
        if (current < specs.size()) {
            remaining = specs.get(current).byteSize();
            try {
                startMember(ARCHIVE + "data/" + current);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void writeWhole(String name, byte[] data) throws IOException {
        startMember(name);
        crc.update(data);
        writeFully(ByteBuffer.wrap(data));
        finishMember(name, data.length);
    }

    /** A local header with CRC and sizes patched in by {@link #finishMember}, padded so data is 64-aligned. */
    private void startMember(String name) throws IOException {
        currentOffset = channel.position();
        crc = new CRC32();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long dataStart = currentOffset + 30 + n.length + 4;
        int pad = (int) ((ALIGNMENT - dataStart % ALIGNMENT) % ALIGNMENT);
        ByteBuffer h = le(30 + n.length + 4 + pad);
        h.putInt(0x04034b50).putShort((short) 45).putShort((short) 0).putShort((short) 0) // version, flags, stored
                .putShort((short) 0).putShort((short) 0x21)                              // time, date (1980-01-01)
                .putInt(0).putInt(0).putInt(0)                                           // crc, sizes: patched later
                .putShort((short) n.length).putShort((short) (4 + pad)).put(n)
                .putShort((short) 0x4246).putShort((short) pad);                         // "FB" padding field, as torch
        writeFully(h.position(h.capacity()).flip());
    }

    private void finishMember(String name, long size) throws IOException {
        int crcValue = (int) crc.getValue();
        // sizes ≥ 4 GiB would need a ZIP64 local field; the central directory is what readers use
        ByteBuffer patch = le(12).putInt(crcValue).putInt((int) Math.min(size, 0xFFFFFFFFL)).putInt((int) Math.min(size, 0xFFFFFFFFL));
        long end = channel.position();
        channel.write(patch.flip(), currentOffset + 14);
        channel.position(end);
        members.add(new Member(name, currentOffset, size, crcValue));
    }

    /** Writes {@code archive/version} and the central directory; fails if a tensor is incomplete. */
    @Override
    public void close() throws IOException {
        try {
            if (current < specs.size()) {
                throw new IllegalStateException(path + ": closed before all tensor bytes were written (missing "
                        + specs.get(current).name() + ")");
            }
            writeWhole(ARCHIVE + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            long cdStart = channel.position();
            for (Member m : members) {
                byte[] n = m.name().getBytes(StandardCharsets.UTF_8);
                boolean big = m.size() >= zip64Limit || m.localOffset() >= zip64Limit;
                ByteBuffer c = le(46 + n.length + (big ? 28 : 0));
                c.putInt(0x02014b50).putShort((short) 45).putShort((short) 45).putShort((short) 0).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0x21).putInt(m.crc())
                        .putInt(big ? -1 : (int) m.size()).putInt(big ? -1 : (int) m.size())
                        .putShort((short) n.length).putShort((short) (big ? 28 : 0)).putShort((short) 0)
                        .putShort((short) 0).putShort((short) 0).putInt(0).putInt(big ? -1 : (int) m.localOffset()).put(n);
                if (big) {
                    c.putShort((short) 1).putShort((short) 24).putLong(m.size()).putLong(m.size()).putLong(m.localOffset());
                }
                writeFully(c.flip());
            }
            long cdSize = channel.position() - cdStart;
            boolean zip64 = cdStart >= zip64Limit || cdSize >= zip64Limit || members.size() >= 0xFFFF;
            if (zip64) {
                long end64 = channel.position();
                ByteBuffer z = le(56 + 20);
                z.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                        .putLong(members.size()).putLong(members.size()).putLong(cdSize).putLong(cdStart);
                z.putInt(0x07064b50).putInt(0).putLong(end64).putInt(1);
                writeFully(z.flip());
            }
            ByteBuffer e = le(22);
            e.putInt(0x06054b50).putShort((short) 0).putShort((short) 0)
                    .putShort((short) (zip64 ? 0xFFFF : members.size())).putShort((short) (zip64 ? 0xFFFF : members.size()))
                    .putInt((int) Math.min(cdSize, 0xFFFFFFFFL)).putInt(zip64 ? -1 : (int) cdStart).putShort((short) 0);
            writeFully(e.flip());
        } finally {
            channel.close();
        }
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The few pickle opcodes a state dict needs, emitted the way CPython's pickle (protocol 2) does. */
    private static final class PickleOut {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        PickleOut op(int code) {
            out.write(code);
            return this;
        }

        PickleOut global(String module, String name) {
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        PickleOut unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            out.writeBytes(le(4).putInt(b.length).array());
            out.writeBytes(b);
            return this;
        }

        PickleOut integer(long v) {
            if (v >= 0 && v < 256) {
                out.write('K');
                out.write((int) v);
            } else if (v >= 0 && v < 65536) {
                out.write('M');
                out.writeBytes(le(2).putShort((short) v).array());
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                out.write('J');
                out.writeBytes(le(4).putInt((int) v).array());
            } else {
                out.write(0x8a);
                out.write(8);
                out.writeBytes(le(8).putLong(v).array());
            }
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
