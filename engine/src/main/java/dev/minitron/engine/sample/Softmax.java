package dev.minitron.engine.sample;

/** Numerically stable softmax and log-softmax over one logits row. */
final class Softmax {

    private Softmax() {
    }

    /** softmax(logits / temperature), written over {@code logits}, which it returns. */
    static float[] probabilitiesInPlace(float[] logits, float temperature) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        float[] probs = logits;
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            float e = (float) Math.exp((logits[i] - max) / temperature);
            probs[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < probs.length; i++) {
            probs[i] *= inv;
        }
        return probs;
    }

    /** log Σ exp(logits). */
    static double logSumExp(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum);
    }
}
