package dev.minitron.engine.sample;

import java.util.Arrays;

/**
 * The tokens that can survive top-k, top-p and min-p, found without sorting the vocabulary.
 *
 * <p>One pass buckets the probabilities by their float exponent (each bucket spans a factor of 2)
 * and sums count and mass per bucket. Walking the buckets from the top gives the lowest bucket that
 * can still hold a survivor: the k-th most likely token's bucket for top-k, the bucket where the
 * cumulative mass reaches top-p (one more bucket below, so that rounding in the two sums can never
 * cut a survivor), the min-p threshold's bucket. Only tokens at or above it are packed and sorted;
 * on a peaked distribution that is a handful out of 256,000. A flat distribution degrades to
 * sorting everything, as before.
 *
 * <p>Packed as {@code probability bits << 32 | index}: a non-negative float's bits order like the
 * float, so one primitive sort orders by probability. Scratch is per thread and reused.
 */
final class Candidates {

    private static final int BUCKETS = 256; // biased float exponents; probabilities use 0..127
    private static final ThreadLocal<Candidates> SCRATCH = ThreadLocal.withInitial(Candidates::new);

    private final int[] counts = new int[BUCKETS];
    private final double[] masses = new double[BUCKETS];
    private long[] packed = new long[0];
    private int size;
    private double totalMass;

    private Candidates() {
    }

    /**
     * Selects and sorts (ascending) the candidates of {@code probs}. The result is this thread's
     * scratch: valid until the next call on the same thread.
     */
    static Candidates select(float[] probs, int topK, double topP, double minP) {
        Candidates c = SCRATCH.get();
        c.fill(probs, topK, topP, minP);
        return c;
    }

    /** Candidates {@code [0, size())}, ascending by probability; the most likely is last. */
    long[] sorted() {
        return packed;
    }

    int size() {
        return size;
    }

    /** Σ of all probabilities (≈ 1), summed per bucket. */
    double totalMass() {
        return totalMass;
    }

    private static int bucket(float p) {
        return Float.floatToRawIntBits(p) >>> 23;
    }

    private void fill(float[] probs, int topK, double topP, double minP) {
        Arrays.fill(counts, 0);
        Arrays.fill(masses, 0);
        float max = 0;
        for (float p : probs) {
            if (p > 0) {
                int b = bucket(p);
                counts[b]++;
                masses[b] += p;
                max = Math.max(max, p);
            }
        }
        totalMass = 0;
        for (double m : masses) {
            totalMass += m;
        }
        int lowest = 0;
        boolean topKCuts = topK > 0 && topK < probs.length;
        if (topKCuts) {
            int seen = 0;
            for (int b = BUCKETS - 1; b >= 0; b--) {
                seen += counts[b];
                if (seen >= topK) {
                    lowest = b;
                    break;
                }
            }
        } else {
            if (topP < 1) {
                double seen = 0;
                for (int b = BUCKETS - 1; b >= 0; b--) {
                    seen += masses[b];
                    if (seen >= topP * totalMass) {
                        lowest = Math.max(0, b - 1);
                        break;
                    }
                }
            }
            // min-p only trims the tail of what top-p keeps, and top-p's mass here is the total
            // (not the candidates'), so tokens below the min-p threshold can be left out now.
            if (minP > 0) {
                lowest = Math.max(lowest, bucket((float) (minP * max)) - 1); // one below: float rounding of the threshold
            }
        }
        if (packed.length < probs.length) {
            packed = new long[probs.length];
        }
        int n = 0;
        for (int i = 0; i < probs.length; i++) {
            float p = probs[i];
            if (p > 0 && bucket(p) >= lowest) {
                packed[n++] = ((long) Float.floatToRawIntBits(p) << 32) | i;
            }
        }
        size = n;
        Arrays.sort(packed, 0, n);
    }
}
