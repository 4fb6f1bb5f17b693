package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sequence's logits are bit-for-bit the same whether it is alone in a step or shares it with
 * neighbours, wherever it sits in the batch: the kernels that handle 4 tokens at a time and the one
 * for the leftover tokens add in the same order. Seeded sampling relies on it.
 */
class BatchInvarianceTest {

    private static final int BLOCK_SIZE = 4;
    private static final int[] PROMPT = {2, 17, 400, 5, 901, 33, 700, 12, 1000};

    @TempDir
    static Path dir;
    private static CpuBackend backend;

    @BeforeAll
    static void load() throws IOException {
        backend = CpuBackend.load(TinyModel.write(dir), 2);
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @Test
    void decodeLogitsDoNotDependOnNeighboursOrPlaceInTheBatch() {
        float[] alone = decodeAmong(0, 0);
        for (int neighbours : new int[] {1, 3, 4, 6, 9}) {
            for (int place : new int[] {0, neighbours / 2, neighbours}) {
                assertThat(decodeAmong(neighbours, place)).as("%d neighbours, at %d", neighbours, place)
                        .containsExactly(alone);
            }
        }
    }

    @Test
    void prefillLogitsDoNotDependOnAPrefillBeforeIt() {
        backend.allocateKvCache(16, BLOCK_SIZE);
        float[] alone = backend.forward(new BatchBuilder(BLOCK_SIZE).add(new int[] {0, 1, 2}, 0, PROMPT, false).build())[0];
        backend.allocateKvCache(16, BLOCK_SIZE);
        float[][] both = backend.forward(new BatchBuilder(BLOCK_SIZE)
                .add(new int[] {3, 4}, 0, new int[] {9, 8, 7, 6, 5}, false)
                .add(new int[] {0, 1, 2}, 0, PROMPT, false).build());
        assertThat(both[1]).containsExactly(alone);
    }

    /** The last-token logits of PROMPT's decode step with {@code neighbours} other sequences, it at {@code place}. */
    private static float[] decodeAmong(int neighbours, int place) {
        int seqs = neighbours + 1;
        backend.allocateKvCache(3 * seqs, BLOCK_SIZE);
        SplittableRandom random = new SplittableRandom(neighbours * 31L + place);
        int[][] prompts = new int[seqs][];
        for (int s = 0; s < seqs; s++) {
            prompts[s] = s == place ? PROMPT : random.ints(1 + random.nextInt(PROMPT.length), 0, 1024).toArray();
        }
        BatchBuilder prefill = new BatchBuilder(BLOCK_SIZE);
        BatchBuilder decode = new BatchBuilder(BLOCK_SIZE);
        for (int s = 0; s < seqs; s++) {
            int[] table = {3 * s, 3 * s + 1, 3 * s + 2};
            int n = prompts[s].length;
            prefill.add(table, 0, java.util.Arrays.copyOf(prompts[s], n - 1 == 0 ? 1 : n - 1), false);
            if (n > 1) {
                decode.add(table, n - 1, new int[] {prompts[s][n - 1]}, false);
            } else {
                decode.add(table, 1, new int[] {7}, false);
            }
        }
        backend.forward(prefill.build());
        return backend.forward(decode.build())[place];
    }
}
