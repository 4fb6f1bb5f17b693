package dev.minitron.engine.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The decode batch sizes that get a CUDA graph, vLLM's way: 1, 2, 4, then every multiple of 8 up to
 * the largest decode batch. A decode step of {@code n} sequences replays the graph of the smallest
 * bucket ≥ n, with the extra rows padded (no KV written, nothing read, logits ignored). Pure Java.
 */
final class GraphBuckets {

    private final int[] sizes;

    GraphBuckets(int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be positive, got " + maxBatch);
        }
        List<Integer> s = new ArrayList<>();
        for (int b : new int[] {1, 2, 4}) {
            if (b < maxBatch) {
                s.add(b);
            }
        }
        for (int b = 8; b < maxBatch; b += 8) {
            s.add(b);
        }
        s.add(maxBatch);
        this.sizes = s.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The bucket for a decode batch of {@code n}, or -1 when {@code n} is larger than every bucket. */
    int bucketFor(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("batch must be positive");
        }
        for (int b : sizes) {
            if (b >= n) {
                return b;
            }
        }
        return -1;
    }

    int largest() {
        return sizes[sizes.length - 1];
    }

    int[] sizes() {
        return sizes.clone();
    }
}
