package dev.minitron.engine.sample;

/** Log-probabilities of the raw model distribution (before penalties and temperature), like vLLM. */
public final class Logprobs {

    private Logprobs() {
    }

    /** The chosen token's logprob and the {@code topN} most likely tokens. */
    public static TokenLogprobs of(float[] rawLogits, int chosen, int topN) {
        double lse = Softmax.logSumExp(rawLogits);
        int[] ids = new int[topN];
        float[] values = new float[topN];
        if (topN > 0) {
            // Partial selection: keep the topN best in a small sorted window; topN ≤ 20.
            java.util.Arrays.fill(values, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(ids, -1);
            for (int i = 0; i < rawLogits.length; i++) {
                float v = rawLogits[i];
                if (v <= values[topN - 1]) {
                    continue;
                }
                int j = topN - 1;
                while (j > 0 && values[j - 1] < v) {
                    values[j] = values[j - 1];
                    ids[j] = ids[j - 1];
                    j--;
                }
                values[j] = v;
                ids[j] = i;
            }
            for (int j = 0; j < topN; j++) {
                values[j] = (float) (values[j] - lse);
            }
        }
        return new TokenLogprobs(chosen, (float) (rawLogits[chosen] - lse), ids, values);
    }
}
