package dev.minitron.engine.io.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.engine.io.CheckpointException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Broken and hostile pytorch_model.bin files: each must fail fast with a {@link CheckpointException}
 * naming the file and the problem, never with another exception, a hang, or by running anything.
 */
class HostileTorchCheckpointTest {

    @TempDir
    Path dir;

    // ---- hostile pickles, hand-assembled so every opcode path is covered ----

    @Test
    void refusesAGlobalOsSystemBeforeCallingIt() throws IOException {
        byte[] pkl = pickle(p -> p.proto(2).global("os", "system").unicode("touch " + dir.resolve("pwned"))
                .op(0x85).op('R').op('.'));
        assertRefused(pkl, "global os.system");
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void refusesAStackGlobalBuiltinsEval() throws IOException {
        assertRefused(pickle(p -> p.proto(4).shortUnicode("builtins").shortUnicode("eval").op(0x93)
                .shortUnicode("1+1").op(0x85).op('R').op('.')), "global builtins.eval");
    }

    @Test
    void refusesAGlobalHiddenBehindAMemoizedModuleName() throws IOException {
        // torch.load(weights_only=False) would import "subprocess" here; we refuse at the name
        assertRefused(pickle(p -> p.proto(4).shortUnicode("subprocess").op(0x94).op('h').raw(0).shortUnicode("call")
                .op(0x93).op('.')), "global subprocess.call");
    }

    @ParameterizedTest
    @ValueSource(ints = {'i', 'o', 0x81, 0x92, 0x82, 0x83, 0x84, 'P', 'I', 'S', 'V', 0x8f, 0xff})
    void refusesOpcodesAStateDictNeverUses(int opcode) throws IOException {
        byte[] pkl = pickle(p -> p.proto(2).op('(').op(opcode).raw(0).raw(0).raw(0).raw(0).op('.'));
        assertRefused(pkl, String.format("pickle opcode 0x%02x", opcode));
    }

    @Test
    void refusesCallingAnAllowedGlobalThatIsNotACallableItUnderstands() throws IOException {
        assertRefused(pickle(p -> p.proto(2).global("torch", "FloatStorage").op(')').op('R').op('.')),
                "REDUCE of global torch.FloatStorage is not allowed");
    }

    @Test
    void refusesOrderedDictCalledWithArguments() throws IOException {
        assertRefused(pickle(p -> p.proto(2).global("collections", "OrderedDict").unicode("x").op(0x85).op('R').op('.')),
                "only OrderedDict() is allowed");
    }

    @Test
    void refusesBuildOnATensor() throws IOException {
        byte[] pkl = pickle(p -> p.proto(2).op('}').unicode("w").tensor("0", "FloatStorage", 2, 0, new long[] {2})
                .op('}').op('b').op('s').op('.'));
        assertRefused(pkl, "BUILD of a tensor");
    }

    @Test
    void refusesAPickleThatIsNotADict() throws IOException {
        assertRefused(pickle(p -> p.proto(2).unicode("hello").op('.')), "not a state dict");
    }

    @Test
    void refusesATruncatedPickle() throws IOException {
        assertRefused(pickle(p -> p.proto(2).op('}').unicode("w")), "truncated");
    }

    @Test
    void refusesAStringLongerThanThePickle() throws IOException {
        assertRefused(pickle(p -> p.proto(2).op('X').int32(1 << 30).op('.')), "runs past the end of the pickle");
    }

    @Test
    void refusesAStorageTheZipDoesNotHave() throws IOException {
        byte[] pkl = stateDict("7", "FloatStorage", 2, 0, new long[] {2});
        assertRefused(pkl, Map.of("archive/data/0", new byte[8]), "refers to storage 7, but the ZIP has no archive/data/7");
    }

    @Test
    void refusesAStorageKeyThatIsAPath() throws IOException {
        assertRefused(stateDict("../../etc/passwd", "FloatStorage", 2, 0, new long[] {2}), "is not a plain name");
    }

    @Test
    void refusesATensorReachingPastItsStorage() throws IOException {
        assertRefused(stateDict("0", "FloatStorage", 2, 1, new long[] {2}), Map.of("archive/data/0", new byte[8]),
                "lie outside storage 0 of 2 elements");
    }

    @Test
    void refusesAStorageWhoseBytesDoNotMatchItsElementCount() throws IOException {
        assertRefused(stateDict("0", "FloatStorage", 4, 0, new long[] {2}), Map.of("archive/data/0", new byte[8]),
                "should hold 4 F32 elements (16 bytes) but archive/data/0 has 8 bytes");
    }

    @Test
    void refusesAHugeDeclaredShape() throws IOException {
        assertRefused(stateDict("0", "FloatStorage", 2, 0, new long[] {1L << 40, 1L << 40}), Map.of("archive/data/0", new byte[8]),
                "overflows");
    }

    @Test
    void refusesABigEndianCheckpoint() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("archive/data.pkl", stateDict("0", "FloatStorage", 2, 0, new long[] {2}));
        members.put("archive/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        members.put("archive/data/0", new byte[8]);
        assertOpenFails(zip(members, false), "only little-endian");
    }

    @Test
    void refusesACompressedStorage() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("archive/data.pkl", stateDict("0", "FloatStorage", 2, 0, new long[] {2}));
        members.put("archive/data/0", new byte[8]);
        assertOpenFails(zip(members, true), "archive/data/0 is compressed");
    }

    @Test
    void readsADeflatedDataPklLikeAnyZipTool() throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("archive/data.pkl", stateDict("0", "FloatStorage", 2, 0, new long[] {2}));
        Path file = zip(members, true);
        // data.pkl deflated is fine; the storage is missing, which is the error we get past it
        assertOpenFails(file, "the ZIP has no archive/data/0");
    }

    @Test
    void refusesAZipWithoutDataPkl() throws IOException {
        assertOpenFails(zip(Map.of("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII)), false), "no ARCHIVE/data.pkl");
    }

    // ---- truncation and random corruption of a real torch.save file ----

    @Test
    void everyTruncationOfARealTorchFileFailsCleanly() throws IOException {
        byte[] whole = Files.readAllBytes(TorchFixturesTest.copy(dir, "tiny-f32.bin"));
        Path file = dir.resolve("truncated.bin");
        for (int length = 0; length < whole.length; length++) {
            Files.write(file, Arrays.copyOf(whole, length));
            final int n = length;
            assertThatThrownBy(() -> TorchCheckpointFile.open(file).close()).as("truncated to %d bytes", n)
                    .isInstanceOf(CheckpointException.class).hasMessageStartingWith(file + ": ");
        }
    }

    @Test
    void thousandsOfRandomByteMutationsNeverEscapeAsAnythingButACheckpointException() throws IOException {
        byte[] whole = Files.readAllBytes(TorchFixturesTest.copy(dir, "tiny-bf16.bin"));
        Path file = dir.resolve("mutated.bin");
        Random random = new Random(42);
        int refused = 0;
        for (int i = 0; i < 1500; i++) {
            byte[] b = whole.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(b.length);
                b[at] = switch (random.nextInt(3)) {
                    case 0 -> (byte) random.nextInt(256);
                    case 1 -> (byte) (b[at] ^ (1 << random.nextInt(8)));
                    default -> (byte) 0xFF;
                };
            }
            Files.write(file, b);
            try (TorchCheckpointFile f = TorchCheckpointFile.open(file)) {
                f.tensors().values().forEach(t -> t.toFloatArray()); // a file that opens is fully readable
            } catch (CheckpointException expected) {
                assertThat(expected).hasMessageStartingWith(file + ": ");
                refused++;
            }
        }
        assertThat(refused).as("most mutations hit a CRC, an offset or the pickle").isGreaterThan(500);
    }

    // ---- helpers ----

    private void assertRefused(byte[] pkl, String message) throws IOException {
        assertRefused(pkl, Map.of(), message);
    }

    private void assertRefused(byte[] pkl, Map<String, byte[]> storages, String message) throws IOException {
        Map<String, byte[]> members = new LinkedHashMap<>();
        members.put("archive/data.pkl", pkl);
        members.putAll(storages);
        assertOpenFails(zip(members, false), message);
    }

    private static void assertOpenFails(Path file, String message) {
        assertThatThrownBy(() -> TorchCheckpointFile.open(file).close()).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(file + ": ").hasMessageContaining(message);
    }

    private static byte[] stateDict(String key, String storageType, long numel, long offset, long[] size) {
        return pickle(p -> p.proto(2).global("collections", "OrderedDict").op(')').op('R').op('(')
                .unicode("w").tensor(key, storageType, numel, offset, size).op('u').op('.'));
    }

    private Path zip(Map<String, byte[]> members, boolean deflate) throws IOException {
        Path file = Files.createTempFile(dir, "hostile", ".bin");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(file))) {
            for (var m : members.entrySet()) {
                ZipEntry e = new ZipEntry(m.getKey());
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(m.getValue());
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(m.getValue().length);
                    e.setCrc(crc.getValue());
                }
                out.putNextEntry(e);
                out.write(m.getValue());
                out.closeEntry();
            }
        }
        return file;
    }

    private interface PickleScript {
        void write(P p);
    }

    private static byte[] pickle(PickleScript script) {
        P p = new P();
        script.write(p);
        return p.out.toByteArray();
    }

    /** A tiny pickle assembler. */
    private static final class P {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        P op(int code) {
            out.write(code);
            return this;
        }

        P raw(int b) {
            out.write(b);
            return this;
        }

        P proto(int v) {
            return op(0x80).raw(v);
        }

        P int32(int v) {
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
            return this;
        }

        P global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        P unicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').int32(b.length);
            out.writeBytes(b);
            return this;
        }

        P shortUnicode(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op(0x8c).raw(b.length);
            out.writeBytes(b);
            return this;
        }

        P integer(long v) {
            op(0x8a).raw(8);
            out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
            return this;
        }

        /** _rebuild_tensor_v2(('storage', torch.TYPE, key, 'cpu', numel), offset, size, contiguous stride, False, OrderedDict()). */
        P tensor(String key, String storageType, long numel, long offset, long[] size) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').unicode("storage").global("torch", storageType).unicode(key).unicode("cpu").integer(numel).op('t').op('Q');
            integer(offset);
            op('(');
            for (long d : size) {
                integer(d);
            }
            op('t').op('(');
            long stride = 1;
            long[] strides = new long[size.length];
            for (int d = size.length - 1; d >= 0; d--) {
                strides[d] = stride;
                stride *= size[d];
            }
            for (long s : strides) {
                integer(s);
            }
            op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
            return this;
        }
    }
}
