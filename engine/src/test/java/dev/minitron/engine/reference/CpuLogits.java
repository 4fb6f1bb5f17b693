package dev.minitron.engine.reference;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.CpuBackend;
import java.nio.file.Path;

/** The CPU backend's logits for whole prompts, the way reference implementations compute them. */
public final class CpuLogits {

    private CpuLogits() {
    }

    /** Logits of every position of one sequence, prefilled into a fresh KV cache. */
    public static float[][] of(Path checkpoint, int[] tokens) {
        try (CpuBackend backend = CpuBackend.load(checkpoint, 2)) {
            return of(backend, tokens);
        }
    }

    /** Same, on an already loaded backend (allocates its KV cache for this one sequence). */
    public static float[][] of(Backend backend, int[] tokens) {
        int blockSize = 16;
        int blocks = (tokens.length + blockSize - 1) / blockSize;
        int[] table = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            table[b] = b;
        }
        int[] positions = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            positions[i] = i;
        }
        backend.allocateKvCache(blocks, blockSize);
        return backend.forward(new ForwardBatch(tokens, positions, positions.clone(), new int[] {0, tokens.length},
                new int[] {tokens.length}, new int[][] {table}, positions.clone()));
    }

    public static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            best = row[i] > row[best] ? i : best;
        }
        return best;
    }
}
