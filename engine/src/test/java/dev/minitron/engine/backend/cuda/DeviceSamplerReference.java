package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.sample.Logprobs;
import dev.minitron.engine.sample.Sampler;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.sample.TokenLogprobs;
import java.util.Arrays;

/**
 * {@code sample_rows} (sampling.cu) on the host, written for clarity: the same penalty list (from
 * {@link SamplingRowsPacker}), the same survivor thresholds on the logits' order-preserving keys
 * (top-k ties kept, top-p cut at the key where the descending cumulative mass reaches
 * topP × mass(top-k), min-p as w ≥ minP with w = exp((l − max)/T)) and the same inverse-CDF walk in
 * index order. It sorts and sums in double where the kernel selects by radix and sums in float /
 * fixed point, so it also reports whether a decision was within rounding of a boundary
 * ({@link Result#fragile}); only there may the GPU pick differently.
 */
final class DeviceSamplerReference {

    /** Relative distance to a boundary below which a decision counts as fragile. */
    static final double FRAGILE = 1e-5;

    /**
     * @param probabilities [vocab] the survivor distribution the draw uses (null when greedy)
     * @param logprobs      null when the row asked for none
     */
    record Result(int token, TokenLogprobs logprobs, double[] probabilities, boolean fragile) {
    }

    private DeviceSamplerReference() {
    }

    static Result sample(float[] rawLogits, SamplingRow row) {
        int vocab = rawLogits.length;
        SamplingParams p = row.params();
        float[] l = penalized(rawLogits, row);
        boolean anyFinite = sanitize(l);
        Result r;
        if (!anyFinite || p.isGreedy()) {
            r = new Result(Sampler.argmax(l), null, null, false);
        } else {
            r = draw(l, p, row.uniform(), vocab);
        }
        TokenLogprobs lp = p.logprobs() == null ? null : Logprobs.of(rawLogits, r.token, p.logprobs());
        return new Result(r.token, lp, r.probabilities, r.fragile);
    }

    /** The row's logits after penalties, computed from the packer's pairs exactly as the kernel does. */
    static float[] penalized(float[] raw, SamplingRow row) {
        float[] l = raw.clone();
        SamplingParams p = row.params();
        if (!p.hasPenalties()) {
            return l;
        }
        SamplingRowsPacker packer = new SamplingRowsPacker();
        packer.pack(new SamplingRow[] {row}, raw.length);
        int[] pairs = packer.pairs();
        float rep = (float) p.repetitionPenalty();
        for (int k = 0; k < pairs.length / 2; k++) {
            int t = pairs[2 * k];
            int count = pairs[2 * k + 1];
            float v = l[t];
            if (p.repetitionPenalty() != 1) {
                v = v > 0 ? v / rep : v * rep;
            }
            if ((p.presencePenalty() != 0 || p.frequencyPenalty() != 0) && count > 0) {
                v -= (float) (p.frequencyPenalty() * count + p.presencePenalty());
            }
            l[t] = v;
        }
        return l;
    }

    static boolean sanitize(float[] l) {
        boolean any = false;
        for (int i = 0; i < l.length; i++) {
            if (Float.isNaN(l[i])) {
                l[i] = Float.NEGATIVE_INFINITY;
            } else if (l[i] == Float.POSITIVE_INFINITY) {
                l[i] = Float.MAX_VALUE;
            }
            any |= l[i] != Float.NEGATIVE_INFINITY;
        }
        return any;
    }

    /** sample_key in sampling.cu: a < b ⇔ key(a) < key(b), as unsigned; returned as a non-negative long. */
    static long key(float v) {
        int b = Float.floatToRawIntBits(v);
        int k = b < 0 ? ~b : (b | 0x80000000);
        return k & 0xffffffffL;
    }

    private static Result draw(float[] l, SamplingParams p, double uniform, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : l) {
            max = Math.max(max, v);
        }
        float t = (float) p.temperature();
        float[] w = new float[vocab];
        long[] desc = new long[vocab];   // key << 20 | (2^20 - 1 - index): sorted descending by key
        for (int i = 0; i < vocab; i++) {
            w[i] = (float) Math.exp((l[i] - max) / t);
            desc[i] = key(l[i]) << 20 | (0xfffff - i);
        }
        Arrays.sort(desc);
        reverse(desc);
        boolean fragile = false;
        long threshold = 0;
        int topK = p.topK() > 0 && p.topK() < vocab ? p.topK() : 0;
        long tk = 0;
        if (topK > 0) {
            tk = desc[topK - 1] >>> 20;
            threshold = tk;
        }
        if (p.topP() < 1) {
            double massK = 0;
            for (long d : desc) {
                if ((d >>> 20) >= tk) {
                    massK += w[index(d)];
                }
            }
            double target = p.topP() * massK;
            double cum = 0;
            for (long d : desc) {
                if ((d >>> 20) < tk) {
                    break;
                }
                double before = cum;
                cum += w[index(d)];
                if (cum >= target) {
                    threshold = Math.max(threshold, d >>> 20);
                    fragile |= Math.abs(cum - target) <= FRAGILE * massK || Math.abs(before - target) <= FRAGILE * massK;
                    break;
                }
            }
        }
        double[] weights = new double[vocab];
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            if (key(l[i]) >= threshold && w[i] > 0) {
                if (p.minP() > 0 && Math.abs(w[i] - p.minP()) <= FRAGILE * p.minP()) {
                    fragile = true;
                }
                if (w[i] >= p.minP()) {
                    weights[i] = w[i];
                    total += w[i];
                }
            }
        }
        double target = uniform * total;
        double cum = 0;
        int token = -1;
        int last = -1;
        for (int i = 0; i < vocab; i++) {
            if (weights[i] > 0) {
                last = i;
                double before = cum;
                cum += weights[i];
                if (cum > target) {
                    token = i;
                    fragile |= cum - target <= 1e-6 * total || target - before <= 1e-6 * total;
                    break;
                }
            }
        }
        if (token < 0) {
            token = last;
        }
        for (int i = 0; i < vocab; i++) {
            weights[i] /= total;
        }
        return new Result(token, null, weights, fragile);
    }

    private static int index(long d) {
        return 0xfffff - (int) (d & 0xfffff);
    }

    private static void reverse(long[] a) {
        for (int i = 0, j = a.length - 1; i < j; i++, j--) {
            long x = a[i];
            a[i] = a[j];
            a[j] = x;
        }
    }
}
