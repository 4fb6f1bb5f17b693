package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.sample.Sampler;
import dev.minitron.engine.sample.SamplingParams;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The GPU algorithm (as {@link DeviceSamplerReference}) draws from the same distribution as the
 * CPU {@link Sampler}: same survivors, same probabilities; only the walk order differs.
 */
class DeviceSamplerReferenceTest {

    private static final int[] HISTORY = {3, 7, 7, 1, 9, 3, 3, 12};
    private static final int PROMPT = 4;

    private static float[] randomLogits(int vocab, long seed, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            l[i] = (float) (r.nextGaussian() * scale);
        }
        return l;
    }

    private static SamplingRow row(SamplingParams p, double u) {
        return new SamplingRow(p, u, HISTORY, PROMPT, HISTORY.length);
    }

    private static int cpu(float[] logits, SamplingParams p, SplittableRandom rng) {
        return Sampler.sample(logits.clone(), p, HISTORY, PROMPT, HISTORY.length, rng);
    }

    @Test
    void topKOneIsTheArgmax() {
        for (long seed = 0; seed < 20; seed++) {
            float[] l = randomLogits(300, seed, 3);
            var p = SamplingParams.builder().temperature(0.7).topK(1).topP(0.5).build();
            for (double u : new double[] {0, 0.3, 0.999999}) {
                assertThat(DeviceSamplerReference.sample(l, row(p, u)).token()).isEqualTo(Sampler.argmax(l));
            }
        }
    }

    @Test
    void greedyWithPenaltiesMatchesTheCpuSampler() {
        for (long seed = 0; seed < 200; seed++) {
            float[] l = randomLogits(16, seed, 1);
            var p = SamplingParams.builder().temperature(0).repetitionPenalty(1.5 + seed % 3)
                    .presencePenalty(seed % 2 == 0 ? 0.8 : -0.5).frequencyPenalty(seed % 5 * 0.3).build();
            int expected = cpu(l, p, new SplittableRandom(seed));
            assertThat(DeviceSamplerReference.sample(l, row(p, 0.5)).token()).as("seed %d", seed).isEqualTo(expected);
        }
    }

    @Test
    void nonFiniteLogitsAreSanitizedLikeTheCpu() {
        float[] l = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 1f};
        var p = SamplingParams.builder().temperature(1).build();
        assertThat(DeviceSamplerReference.sample(l, row(p, 0.9)).token()).isEqualTo(2);
        float[] none = {Float.NaN, Float.NEGATIVE_INFINITY};
        assertThat(DeviceSamplerReference.sample(none, row(p, 0.9)).token()).isEqualTo(cpu(none, p, new SplittableRandom(1)));
    }

    @Test
    void drawsFromTheCpuSamplersDistribution() {
        SamplingParams[] params = {
            SamplingParams.builder().temperature(1).build(),
            SamplingParams.builder().temperature(0.7).topK(10).build(),
            SamplingParams.builder().temperature(1.3).topP(0.8).build(),
            SamplingParams.builder().temperature(0.9).topK(12).topP(0.7).build(),
            SamplingParams.builder().temperature(1).minP(0.1).build(),
            SamplingParams.builder().temperature(0.8).topK(20).topP(0.9).minP(0.05).build(),
            SamplingParams.builder().temperature(1.1).topP(0.95).repetitionPenalty(1.3).presencePenalty(0.5)
                    .frequencyPenalty(0.4).build(),
        };
        int vocab = 40;
        int draws = 40_000;
        for (int c = 0; c < params.length; c++) {
            float[] l = randomLogits(vocab, 100 + c, 1.5);
            SamplingParams p = params[c];
            double[] probs = DeviceSamplerReference.sample(l, row(p, 0.5)).probabilities();
            int[] cpuCounts = new int[vocab];
            int[] refCounts = new int[vocab];
            SplittableRandom rng = new SplittableRandom(7 + c);
            for (int d = 0; d < draws; d++) {
                cpuCounts[cpu(l, p, rng)]++;
                refCounts[DeviceSamplerReference.sample(l, row(p, (d + 0.5) / draws)).token()]++;
            }
            for (int i = 0; i < vocab; i++) {
                double cpuFreq = cpuCounts[i] / (double) draws;
                double refFreq = refCounts[i] / (double) draws;
                double sigma = Math.sqrt(Math.max(probs[i] * (1 - probs[i]), 1e-6) / draws);
                if (probs[i] == 0) {
                    assertThat(cpuCounts[i]).as("combo %d token %d outside the survivors", c, i).isZero();
                }
                assertThat(Math.abs(cpuFreq - probs[i])).as("combo %d token %d cpu", c, i).isLessThan(5 * sigma + 1e-4);
                // the reference's own draw over an even grid of uniforms reproduces its probabilities
                assertThat(Math.abs(refFreq - probs[i])).as("combo %d token %d ref", c, i).isLessThan(2.0 / draws + 1e-9);
            }
        }
    }

    @Test
    void survivorsAreExactlyTheCpuCandidates() {
        // Distinct, well separated probabilities: the CPU's support is found by drawing often.
        int vocab = 30;
        float[] l = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            l[i] = (float) (-0.37 * ((i * 7) % vocab));
        }
        SamplingParams[] params = {
            SamplingParams.builder().temperature(1).topK(5).build(),
            SamplingParams.builder().temperature(1).topP(0.6).build(),
            SamplingParams.builder().temperature(1).topK(9).topP(0.5).build(),
            SamplingParams.builder().temperature(0.5).minP(0.2).build(),
        };
        for (SamplingParams p : params) {
            double[] probs = DeviceSamplerReference.sample(l, row(p, 0.5)).probabilities();
            boolean[] seen = new boolean[vocab];
            SplittableRandom rng = new SplittableRandom(3);
            for (int d = 0; d < 20_000; d++) {
                seen[cpu(l, p, rng)] = true;
            }
            for (int i = 0; i < vocab; i++) {
                assertThat(seen[i]).as("token %d with %s", i, p).isEqualTo(probs[i] > 0);
            }
        }
    }
}
