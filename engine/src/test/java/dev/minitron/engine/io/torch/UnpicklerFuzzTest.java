package dev.minitron.engine.io.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.minitron.engine.io.CheckpointException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * Hostile input for the pickle reader (issue 9, docs/reliability.md): {@value #CASES} mutations of
 * real {@code torch.save} state dicts (byte flips, random opcodes and arguments spliced in, truncations,
 * repeated segments) and random opcode streams. Each must end as a state dict or as a
 * {@link CheckpointException}: no other exception, no stack overflow, no runaway allocation, no hang.
 * Nothing can be executed whatever the bytes say: the reader has no reflection and resolves only an
 * allow-list of globals to its own tokens (HostileTorchCheckpointTest covers the named attacks).
 */
class UnpicklerFuzzTest {

    static final int CASES = 12_000;
    private static final Path FILE = Path.of("fuzz.bin");
    /** Opcodes that matter most: the ones that build structures, memoize, reach globals or call. */
    private static final int[] HOT = {'(', ')', ']', '}', 'c', 0x93, 'R', 'b', 's', 'u', 'a', 'e', 't', 0x85, 0x86, 0x87,
        'q', 'r', 'h', 'j', 0x94, 'X', 0x8c, 'K', 'M', 'J', 0x8a, 'N', 0x88, 0x89, '.', 0x80, 0x95, '0', '1', '2'};

    @Test
    void mutatedAndRandomPicklesEndAsAStateDictOrACheckpointException() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        for (String f : new String[] {"tiny-bf16.bin", "tiny-f16.bin", "shared-storage.bin", "int64.bin"}) {
            seeds.add(dataPkl("/torch/" + f));
        }
        SplittableRandom rnd = new SplittableRandom(42);
        int[] outcomes = new int[2]; // [loaded, refused]
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            for (int i = 0; i < CASES; i++) {
                byte[] pkl = i % 10 == 9 ? randomStream(rnd) : mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
                try {
                    RestrictedUnpickler.loadStateDict(FILE, "archive/data.pkl", pkl);
                    outcomes[0]++;
                } catch (CheckpointException e) {
                    assertThat(e.getMessage()).startsWith(FILE + ": ");
                    outcomes[1]++;
                }
            }
        });
        assertThat(outcomes[0] + outcomes[1]).isEqualTo(CASES);
        assertThat(outcomes[1]).as("most mutants are refused").isGreaterThan(CASES / 2);
        System.out.printf("unpickler fuzz: %d cases, %d loaded, %d refused with CheckpointException%n", CASES,
                outcomes[0], outcomes[1]);
    }

    private static byte[] mutate(byte[] seed, SplittableRandom rnd) {
        byte[] out = seed.clone();
        int edits = 1 + rnd.nextInt(6);
        for (int e = 0; e < edits; e++) {
            if (out.length == 0) {
                break;
            }
            int at = rnd.nextInt(out.length);
            switch (rnd.nextInt(5)) {
                case 0 -> out[at] = (byte) rnd.nextInt(256);
                case 1 -> out[at] = (byte) HOT[rnd.nextInt(HOT.length)];
                case 2 -> out = java.util.Arrays.copyOf(out, at); // truncation
                case 3 -> { // splice in an opcode with random argument bytes
                    byte[] ins = new byte[1 + rnd.nextInt(9)];
                    ins[0] = (byte) HOT[rnd.nextInt(HOT.length)];
                    for (int j = 1; j < ins.length; j++) {
                        ins[j] = (byte) (rnd.nextInt(4) == 0 ? 0xFF : rnd.nextInt(256));
                    }
                    out = splice(out, at, ins);
                }
                default -> { // repeat a segment (deep nesting, memo reuse)
                    int len = Math.min(out.length - at, 1 + rnd.nextInt(16));
                    byte[] seg = java.util.Arrays.copyOfRange(out, at, at + len);
                    for (int r = rnd.nextInt(50); r > 0; r--) {
                        out = splice(out, at, seg);
                    }
                }
            }
        }
        return out;
    }

    private static byte[] randomStream(SplittableRandom rnd) {
        byte[] out = new byte[1 + rnd.nextInt(300)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (rnd.nextBoolean() ? HOT[rnd.nextInt(HOT.length)] : rnd.nextInt(256));
        }
        return out;
    }

    private static byte[] splice(byte[] a, int at, byte[] ins) {
        byte[] out = new byte[a.length + ins.length];
        System.arraycopy(a, 0, out, 0, at);
        System.arraycopy(ins, 0, out, at, ins.length);
        System.arraycopy(a, at, out, at + ins.length, a.length - at);
        return out;
    }

    /** torch.save writes STORED entries with data descriptors, which ZipInputStream refuses: go through a file. */
    private static byte[] dataPkl(String resource) throws IOException {
        Path tmp = java.nio.file.Files.createTempFile("fuzz-seed", ".bin");
        try (InputStream in = UnpicklerFuzzTest.class.getResourceAsStream(resource)) {
            java.nio.file.Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(tmp.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                if (e.getName().endsWith("/data.pkl")) {
                    try (InputStream in = zip.getInputStream(e)) {
                        return in.readAllBytes();
                    }
                }
            }
        } finally {
            java.nio.file.Files.deleteIfExists(tmp);
        }
        throw new IllegalStateException(resource + " has no data.pkl");
    }
}
