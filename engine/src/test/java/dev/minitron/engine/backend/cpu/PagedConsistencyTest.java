package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * However a sequence's tokens are split into steps, and whatever else shares the step, its logits
 * are the same: the paged KV cache with scattered, non-contiguous blocks of 4 tokens must hold
 * exactly what a full-prompt forward would have computed.
 */
class PagedConsistencyTest {

    private static final int BLOCK_SIZE = 4;
    private static final float TOLERANCE = 1e-6f;
    private static final int[] PROMPT = {2, 17, 400, 5, 901, 33, 33, 33, 700, 12, 1000, 511, 64, 64, 3, 250, 99, 1023, 0, 8};
    private static final int[] TABLE = {13, 4, 21, 0, 9};
    private static final int[] OTHER_TABLE = {6, 1, 19, 22};

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
    void scatteredBlocksGiveTheLogitsOfContiguousBlocks() {
        assertClose(fullPrefill(PROMPT, TABLE), fullPrefill(PROMPT, new int[] {0, 1, 2, 3, 4}));
    }

    @Test
    void chunkedPrefillGivesTheLogitsOfAFullPrefill() {
        float[][] full = fullPrefill(PROMPT, TABLE);
        backend.allocateKvCache(24, BLOCK_SIZE);
        float[][] chunked = concat(
                step(TABLE, 0, slice(PROMPT, 0, 7)),
                step(TABLE, 7, slice(PROMPT, 7, 15)),
                step(TABLE, 15, slice(PROMPT, 15, 20)));
        assertClose(chunked, full);
    }

    @Test
    void tokenByTokenDecodeGivesTheLogitsOfAFullPrefill() {
        float[][] full = fullPrefill(PROMPT, TABLE);
        backend.allocateKvCache(24, BLOCK_SIZE);
        float[][] decoded = step(TABLE, 0, slice(PROMPT, 0, 5));
        for (int p = 5; p < PROMPT.length; p++) {
            decoded = concat(decoded, step(TABLE, p, slice(PROMPT, p, p + 1)));
        }
        assertClose(decoded, full);
    }

    @Test
    void twoSequencesInOneBatchGiveTheLogitsEachGetsAlone() {
        int[] other = {2, 640, 641, 9, 9, 77, 300, 12, 900};
        float[][] aloneA = fullPrefill(slice(PROMPT, 0, 11), TABLE);
        float[][] aloneB = fullPrefill(other, OTHER_TABLE);

        backend.allocateKvCache(24, BLOCK_SIZE);
        step(TABLE, 0, slice(PROMPT, 0, 10));
        float[][] mixed = backend.forward(new BatchBuilder(BLOCK_SIZE)
                .add(TABLE, 10, slice(PROMPT, 10, 11), true)
                .add(OTHER_TABLE, 0, other, true)
                .build());

        assertClose(new float[][] {mixed[0]}, new float[][] {aloneA[10]});
        assertClose(Arrays.copyOfRange(mixed, 1, mixed.length), aloneB);
    }

    /** A fresh cache and one forward over the whole prompt, with the logits of every position. */
    private static float[][] fullPrefill(int[] tokens, int[] table) {
        backend.allocateKvCache(24, BLOCK_SIZE);
        return step(table, 0, tokens);
    }

    private static float[][] step(int[] table, int cached, int[] tokens) {
        return backend.forward(new BatchBuilder(BLOCK_SIZE).add(table, cached, tokens, true).build());
    }

    private static int[] slice(int[] a, int from, int to) {
        return Arrays.copyOfRange(a, from, to);
    }

    private static float[][] concat(float[][]... parts) {
        return Arrays.stream(parts).flatMap(Arrays::stream).toArray(float[][]::new);
    }

    private static void assertClose(float[][] actual, float[][] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        float maxError = 0;
        for (int t = 0; t < actual.length; t++) {
            for (int v = 0; v < expected[t].length; v++) {
                maxError = Math.max(maxError, Math.abs(actual[t][v] - expected[t][v]));
            }
        }
        assertThat(maxError).isLessThanOrEqualTo(TOLERANCE);
    }
}
