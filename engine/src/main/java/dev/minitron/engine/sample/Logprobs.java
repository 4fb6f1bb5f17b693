package dev.minitron.engine.sample;

/** Log-probabilities of the raw model distribution (before penalties and temperature), like vLLM. */
public final class Logprobs {

    private Logprobs() {
    }

    /**
     * The chosen token's logprob and the {@code topN} most likely tokens, most likely first (ties: the
     * lower id first). One pass over the vocabulary with a bounded min-heap of the best {@code topN}.
     */
    public static TokenLogprobs of(float[] rawLogits, int chosen, int topN) {
        double lse = Softmax.logSumExp(rawLogits);
        int[] ids = new int[topN];
        float[] values = new float[topN];
        int size = 0;
        for (int i = 0; i < rawLogits.length && topN > 0; i++) {
            float v = rawLogits[i];
            if (size < topN) {
                ids[size] = i;
                values[size] = v;
                siftUp(ids, values, size++);
            } else if (worse(values[0], ids[0], v, i)) {
                ids[0] = i;
                values[0] = v;
                siftDown(ids, values, size);
            }
        }
        // Heap-sort in place: repeatedly move the worst to the end, leaving the best first.
        for (int end = size - 1; end > 0; end--) {
            swap(ids, values, 0, end);
            siftDown(ids, values, end);
        }
        for (int j = 0; j < topN; j++) {
            boolean filled = j < size; // fewer tokens than topN: the rest say "none"
            values[j] = filled ? (float) (values[j] - lse) : Float.NEGATIVE_INFINITY;
            ids[j] = filled ? ids[j] : -1;
        }
        return new TokenLogprobs(chosen, (float) (rawLogits[chosen] - lse), ids, values);
    }

    /** Whether (va, ia) ranks below (vb, ib): smaller logit, or equal logit and larger id. NaN ranks lowest. */
    private static boolean worse(float va, int ia, float vb, int ib) {
        if (Float.isNaN(va) != Float.isNaN(vb)) {
            return Float.isNaN(va);
        }
        return va < vb || (va == vb && ia > ib) || (Float.isNaN(va) && ia > ib);
    }

    private static void siftUp(int[] ids, float[] values, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!worse(values[i], ids[i], values[parent], ids[parent])) {
                return;
            }
            swap(ids, values, i, parent);
            i = parent;
        }
    }

    private static void siftDown(int[] ids, float[] values, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int worst = i;
            if (l < size && worse(values[l], ids[l], values[worst], ids[worst])) {
                worst = l;
            }
            if (r < size && worse(values[r], ids[r], values[worst], ids[worst])) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(ids, values, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] ids, float[] values, int a, int b) {
        int id = ids[a];
        ids[a] = ids[b];
        ids[b] = id;
        float v = values[a];
        values[a] = values[b];
        values[b] = v;
    }
}
