package dev.minitron.engine.sample;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sampling over the {@link Candidates} draws exactly what sorting the whole vocabulary draws. */
class CandidatesTest {

    @Test
    void drawsMatchAFullSortReference() {
        SplittableRandom random = new SplittableRandom(5);
        int mismatches = 0;
        for (int round = 0; round < 300; round++) {
            float[] logits = logits(random, 2000, round % 3);
            int topK = new int[] {0, 1, 5, 50, 1999, 5000}[round % 6];
            double topP = new double[] {1.0, 0.9, 0.5, 0.99}[round % 4];
            double minP = new double[] {0, 0, 0.05, 0.3}[(round / 4) % 4];
            double temperature = new double[] {1.0, 0.7, 1.5}[(round / 2) % 3];
            if (topK == 0 && topP == 1) {
                topP = 0.8;
            }
            var params = SamplingParams.builder().temperature(temperature).topK(topK).topP(topP).minP(minP).build();
            for (long seed = 0; seed < 5; seed++) {
                int fast = Sampler.sample(logits.clone(), params, new int[0], 0, 0, new SplittableRandom(seed));
                int reference = reference(logits.clone(), params, new SplittableRandom(seed));
                if (fast != reference) {
                    mismatches++;
                }
            }
        }
        assertThat(mismatches).isZero();
    }

    @Test
    void aPeakedDistributionSortsOnlyAFewCandidates() {
        float[] probs = new float[256_000];
        Arrays.fill(probs, 0.5f / 256_000);
        probs[7] = 0.3f;
        probs[9] = 0.2f;
        Candidates c = Candidates.select(probs, 0, 0.4, 0);
        assertThat(c.size()).isLessThan(10);
        assertThat(Sampler.indexOf(c.sorted()[c.size() - 1])).isEqualTo(7);
    }

    /** Three shapes: gaussian logits, a peaked one, and a flat one (every token ties). */
    private static float[] logits(SplittableRandom random, int vocab, int shape) {
        float[] l = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            l[i] = switch (shape) {
                case 0 -> (float) (random.nextGaussian() * 2);
                case 1 -> (float) (random.nextGaussian() * 0.5 + (i % 97 == 0 ? 8 : 0));
                default -> 1.0f;
            };
        }
        return l;
    }

    /** The straightforward algorithm: sort every token by probability, then top-k, top-p, min-p, draw. */
    private static int reference(float[] logits, SamplingParams p, SplittableRandom rng) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        float[] probs = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            probs[i] = (float) Math.exp((logits[i] - max) / (float) p.temperature());
            sum += probs[i];
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            probs[i] *= (float) (1.0 / sum);
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Float.compare(probs[b], probs[a]) : Integer.compare(b, a));
        int keep = p.topK() > 0 ? Math.min(p.topK(), order.length) : order.length;
        double mass = 0;
        for (int i = 0; i < keep; i++) {
            mass += probs[order[i]];
        }
        double cumulative = 0;
        for (int i = 0; i < keep && p.topP() < 1; i++) {
            cumulative += probs[order[i]];
            if (cumulative >= p.topP() * mass) {
                keep = i + 1;
                break;
            }
        }
        double threshold = p.minP() * probs[order[0]];
        double total = 0;
        int kept = 0;
        for (int i = 0; i < keep && probs[order[i]] >= threshold; i++) {
            total += probs[order[i]];
            kept++;
        }
        double u = rng.nextDouble() * total;
        for (int i = 0; i < kept; i++) {
            u -= probs[order[i]];
            if (u < 0) {
                return order[i];
            }
        }
        return order[kept - 1];
    }
}
