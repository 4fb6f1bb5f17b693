package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.sample.TokenLogprobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code sample_rows} on a real GPU against {@link DeviceSamplerReference}, token for token; runs
 * only with {@code -Dminitron.gpu=true}. Prints {@code PASS}/{@code FAIL} lines with numbers and
 * checks everything before failing. Also prints the time of 256 rows × 256000.
 */
class DeviceSamplerGpuTest {

    private static CudaContext ctx;
    private static Kernel kernel;

    @BeforeAll
    static void open() {
        assumeTrue(Boolean.getBoolean("minitron.gpu"), "GPU tests run with -Dminitron.gpu=true");
        ctx = CudaContext.open(0);
        kernel = CudaModules.load("sampling", ctx.arch()).kernel("sample_rows");
    }

    @AfterAll
    static void close() {
        if (ctx != null) {
            ctx.close();
        }
    }

    /** Parameter combinations, cycled over the rows. */
    private static SamplingParams combo(int c, int vocab) {
        var b = SamplingParams.builder();
        return switch (c % 16) {
            case 0 -> b.temperature(0).build();
            case 1 -> b.temperature(1).build();
            case 2 -> b.temperature(0.8).topK(50).build();
            case 3 -> b.temperature(1).topP(0.9).build();
            case 4 -> b.temperature(0.7).topK(40).topP(0.95).minP(0.02).build();
            case 5 -> b.temperature(1.2).minP(0.1).build();
            case 6 -> b.temperature(0).repetitionPenalty(1.3).presencePenalty(0.5).frequencyPenalty(0.3).logprobs(5).build();
            case 7 -> b.temperature(0.9).topK(20).topP(0.8).repetitionPenalty(1.2).presencePenalty(-0.5)
                    .frequencyPenalty(0.7).logprobs(20).build();
            case 8 -> b.temperature(1).logprobs(0).build();
            case 9 -> b.temperature(1e-6).topK(10).build();
            case 10 -> b.temperature(2).topP(0.5).logprobs(3).build();
            case 11 -> b.temperature(1).topK(Math.max(1, vocab - 1)).build();
            case 12 -> b.temperature(0.5).topK(1).logprobs(1).build();
            case 13 -> b.temperature(1).topK(1000).topP(0.9).repetitionPenalty(0.8).build();
            case 14 -> b.temperature(1.5).topP(0.3).minP(0.3).frequencyPenalty(-1).logprobs(2).build();
            default -> b.temperature(0.6).topP(0.99).presencePenalty(2).build();
        };
    }

    private record Batch(float[] logits, SamplingRow[] rows) {
    }

    private static Batch batch(int numRows, int vocab, long seed, boolean nonFinite) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] logits = new float[numRows * vocab];
        SamplingRow[] rows = new SamplingRow[numRows];
        for (int i = 0; i < numRows; i++) {
            double scale = 0.5 + 6 * r.nextDouble();
            for (int j = 0; j < vocab; j++) {
                logits[i * vocab + j] = (float) (r.nextGaussian() * scale);
            }
            SamplingParams p = combo(i, vocab);
            int len = r.nextInt(300);
            int[] history = new int[len];
            for (int j = 0; j < len; j++) {
                history[j] = r.nextInt(20) == 0 ? -1 : r.nextInt(Math.min(vocab, 2000)); // repeats likely
            }
            if (nonFinite && p.logprobs() == null && i % 3 == 0) {
                logits[i * vocab + r.nextInt(vocab)] = Float.NaN;
                logits[i * vocab + r.nextInt(vocab)] = i % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            }
            rows[i] = new SamplingRow(p, r.nextDouble(), history, len == 0 ? 0 : r.nextInt(len), len);
        }
        return new Batch(logits, rows);
    }

    private static SampledTokens runOnGpu(DeviceSampler sampler, Batch b, int vocab) {
        try (DeviceMemory d = DeviceMemory.allocate((long) b.logits.length * Float.BYTES)) {
            d.copyFrom(b.logits, b.logits.length, 0);
            DeviceSampler.awaitUpload(d);
            return sampler.sample(ctx.stream(), d.ptr(), vocab, b.rows);
        }
    }

    @Test
    void matchesTheReferenceTokenForToken() {
        int[][] shapes = {{256, 1024}, {48, 256000}, {16, 50257}, {8, 7}, {64, 1000}};
        int failures = 0;
        try (DeviceSampler sampler = new DeviceSampler(kernel, 256000)) {
            for (int[] shape : shapes) {
                int numRows = shape[0];
                int vocab = shape[1];
                Batch b = batch(numRows, vocab, 1000L * vocab + numRows, true);
                SampledTokens got = runOnGpu(sampler, b, vocab);
                int mismatches = 0;
                int fragileMismatches = 0;
                double maxLogprobErr = 0;
                List<String> details = new ArrayList<>();
                for (int i = 0; i < numRows; i++) {
                    float[] row = Arrays.copyOfRange(b.logits, i * vocab, (i + 1) * vocab);
                    DeviceSamplerReference.Result want = DeviceSamplerReference.sample(row, b.rows[i]);
                    if (got.tokens()[i] != want.token()) {
                        if (want.fragile()) {
                            fragileMismatches++;
                        } else {
                            mismatches++;
                            if (details.size() < 5) {
                                details.add("row " + i + " combo " + i % 16 + " gpu " + got.tokens()[i] + " ref " + want.token());
                            }
                        }
                        continue;   // logprobs of different tokens are not comparable
                    }
                    if (want.logprobs() != null) {
                        TokenLogprobs g = got.logprobs()[i];
                        TokenLogprobs w = want.logprobs();
                        double err = Math.abs(g.logprob() - w.logprob());
                        for (int j = 0; j < w.topTokenIds().length; j++) {
                            boolean sameId = g.topTokenIds()[j] == w.topTokenIds()[j];
                            boolean both = Float.isInfinite(w.topLogprobs()[j]) && g.topLogprobs()[j] == w.topLogprobs()[j];
                            err = Math.max(err, both ? 0 : Math.abs(g.topLogprobs()[j] - w.topLogprobs()[j]));
                            if (!sameId && details.size() < 5) {
                                details.add("row " + i + " top[" + j + "] gpu " + g.topTokenIds()[j] + " ref " + w.topTokenIds()[j]);
                                mismatches++;
                            }
                        }
                        maxLogprobErr = Math.max(maxLogprobErr, err);
                    }
                }
                boolean ok = mismatches == 0 && maxLogprobErr <= 1e-4;
                failures += ok ? 0 : 1;
                System.out.printf("%s sample_rows rows=%d vocab=%d mismatches=%d fragile_mismatches=%d max_logprob_err=%.3g %s%n",
                        ok ? "PASS" : "FAIL", numRows, vocab, mismatches, fragileMismatches, maxLogprobErr,
                        details.isEmpty() ? "" : details);
            }
        }
        assertThat(failures).isZero();
    }

    @Test
    void rowsDependOnNothingButThemselves() {
        int vocab = 256000;
        Batch b = batch(24, vocab, 77, false);
        int failures = 0;
        try (DeviceSampler sampler = new DeviceSampler(kernel, vocab)) {
            SampledTokens all = runOnGpu(sampler, b, vocab);
            SampledTokens again = runOnGpu(sampler, b, vocab);
            boolean repeat = Arrays.equals(all.tokens(), again.tokens());
            int alone = 0;
            for (int i = 0; i < b.rows.length; i += 5) {
                Batch one = new Batch(Arrays.copyOfRange(b.logits, i * vocab, (i + 1) * vocab), new SamplingRow[] {b.rows[i]});
                alone += runOnGpu(sampler, one, vocab).tokens()[0] == all.tokens()[i] ? 0 : 1;
            }
            failures += repeat && alone == 0 ? 0 : 1;
            System.out.printf("%s sample_rows determinism repeat_equal=%b rows_differing_alone=%d%n",
                    failures == 0 ? "PASS" : "FAIL", repeat, alone);
        }
        assertThat(failures).isZero();
    }

    @Test
    void timing() {
        int numRows = 256;
        int vocab = 256000;
        SplittableRandom r = new SplittableRandom(5);
        float[] logits = new float[numRows * vocab];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextGaussian() * 3);
        }
        String[] names = {"greedy", "temperature", "top_k=50,top_p=0.9", "top_p=0.9", "top_k=50,top_p=0.95,logprobs=5"};
        SamplingParams[] params = {
            SamplingParams.builder().temperature(0).build(),
            SamplingParams.builder().temperature(1).build(),
            SamplingParams.builder().temperature(0.8).topK(50).topP(0.9).build(),
            SamplingParams.builder().temperature(0.8).topP(0.9).build(),
            SamplingParams.builder().temperature(0.8).topK(50).topP(0.95).logprobs(5).build(),
        };
        try (DeviceSampler sampler = new DeviceSampler(kernel, vocab);
             DeviceMemory d = DeviceMemory.allocate((long) logits.length * Float.BYTES)) {
            d.copyFrom(logits, logits.length, 0);
            DeviceSampler.awaitUpload(d);
            for (int c = 0; c < params.length; c++) {
                SamplingRow[] rows = new SamplingRow[numRows];
                for (int i = 0; i < numRows; i++) {
                    rows[i] = new SamplingRow(params[c], r.nextDouble(), new int[0], 0, 0);   // no penalties: logits stay raw
                }
                long[] ns = new long[20];
                for (int it = -3; it < ns.length; it++) {
                    long t0 = System.nanoTime();
                    sampler.sample(ctx.stream(), d.ptr(), vocab, rows);
                    if (it >= 0) {
                        ns[it] = System.nanoTime() - t0;
                    }
                }
                Arrays.sort(ns);
                double ms = ns[ns.length / 2] / 1e6;
                System.out.printf("TIME sample_rows rows=%d vocab=%d %s median_ms=%.3f (pack+upload+kernel+download; %.0f GB/s per row read)%n",
                        numRows, vocab, names[c], ms, (double) logits.length * Float.BYTES / (ms * 1e6));
            }
        }
    }
}
