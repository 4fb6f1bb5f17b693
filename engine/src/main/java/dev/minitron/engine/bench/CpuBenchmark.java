package dev.minitron.engine.bench;

import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.config.ModelConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The CPU backend against this machine's memory roofline: measures read bandwidth, then for each
 * generated Nemotron-shaped model ({@link BenchModel}) times decode steps at several batch sizes and
 * one long prefill, calling {@link CpuBackend#forward} directly (no scheduler, no sampling).
 *
 * <p>A decode step must read every streamed weight once plus each sequence's KV context, so at batch
 * 1 its time is bounded below by {@code (weight bytes + KV bytes) / bandwidth}; the report gives the
 * achieved fraction of that bound. Larger batches reuse each weight for more tokens and become
 * compute-bound, which the tokens/s-versus-batch column shows.
 *
 * <pre>./minitron bench-engine --models 100m,1b [--batches 1,8,32] [--context 128] [--prefill 256]
 *     [--threads N] [--dir target/bench-models] [--out docs/benchmarks/cpu.md]</pre>
 */
public final class CpuBenchmark {

    private static final int BLOCK_SIZE = 16;

    public static void main(String[] args) throws Exception {
        List<BenchModel> models = new ArrayList<>();
        int threads = Runtime.getRuntime().availableProcessors();
        int[] batches = {1, 8, 32};
        int context = 128;
        int prefill = 256;
        Path dir = Path.of("target", "bench-models");
        Path out = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--models" -> {
                    for (String m : args[i + 1].split(",")) {
                        models.add(BenchModel.fromCliName(m.trim()));
                    }
                }
                case "--batches" -> batches = java.util.Arrays.stream(args[i + 1].split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
                case "--context" -> context = Integer.parseInt(args[i + 1]);
                case "--prefill" -> prefill = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--dir" -> dir = Path.of(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (models.isEmpty()) {
            models.add(BenchModel.M100);
        }
        StringBuilder report = new StringBuilder();
        report.append("## ").append(Instant.now().toString(), 0, 19).append("Z — CPU backend, ").append(threads)
                .append(" threads\n\n").append(machine()).append('\n');
        for (BenchModel model : models) {
            Path checkpoint = model.ensureWritten(dir);
            // The probe reads as many bytes as a decode step streams: a model that fits the last-level
            // cache is bounded by the cache's bandwidth, not DRAM's.
            long probeBytes = Math.clamp(model.streamedWeightBytes(), 64L << 20, 2L << 30);
            double bandwidth = BandwidthProbe.readBytesPerSecond(threads, probeBytes, 7);
            report.append(runModel(model, checkpoint, threads, batches, context, prefill, probeBytes, bandwidth));
        }
        System.out.print(report);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private static String runModel(BenchModel model, Path checkpoint, int threads, int[] batches, int context,
                                   int prefill, long probeBytes, double bandwidth) {
        ModelConfig c = model.config();
        long weightBytes = model.streamedWeightBytes();
        long kvBytesPerToken = (long) c.numHiddenLayers() * 2 * c.kvSize() * Float.BYTES;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "### %s: %,d parameters (hidden %d, intermediate %d, %d layers, %d/%d heads × %d, vocab %d)%n%n",
                model.cliName(), model.parameters(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.vocabSize()));
        s.append(String.format(Locale.ROOT, "Read bandwidth (best of 7 passes over %d MiB, %d threads, measured just before this model, "
                        + "load average %.2f): **%.1f GB/s**. Streamed per decode step: %.1f MB of bf16 weights + %.1f KB of fp32 KV per context token.%n%n",
                probeBytes >> 20, threads, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), bandwidth / 1e9,
                weightBytes / 1e6, kvBytesPerToken / 1e3));
        s.append("| phase | batch | context | steps | median ms/step | best ms/step | tokens/s (median) | × batch-1 | roofline tokens/s | of roofline (median) | of roofline (best) |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|\n");
        try (CpuBackend backend = CpuBackend.load(checkpoint, threads)) {
            int maxBatch = java.util.Arrays.stream(batches).max().orElse(1);
            int perSeq = Math.max(context + 200, prefill);
            int blocksPerSeq = (perSeq + BLOCK_SIZE - 1) / BLOCK_SIZE;
            backend.allocateKvCache(Math.max(maxBatch, 1) * blocksPerSeq, BLOCK_SIZE);
            double batch1 = 0;
            for (int batch : batches) {
                // Warm up until the JIT has compiled the kernels this batch size uses (at least 3
                // steps and 3 s), then time about 3 s of steps, at least 5.
                Decode d = new Decode(batch, context, blocksPerSeq, c.vocabSize());
                long warmStart = System.nanoTime();
                double guess = Double.MAX_VALUE;
                for (int i = 0; i < 3 || (i < 150 && System.nanoTime() - warmStart < 3_000_000_000L); i++) {
                    long w0 = System.nanoTime();
                    backend.forward(d.next());
                    guess = Math.min(guess, (System.nanoTime() - w0) / 1e9);
                }
                int steps = (int) Math.clamp(Math.round(3.0 / guess), 5, 48);
                d = new Decode(batch, context, blocksPerSeq, c.vocabSize()); // timed steps start at `context` again
                double[] times = new double[steps];
                for (int i = 0; i < steps; i++) {
                    long t0 = System.nanoTime();
                    backend.forward(d.next());
                    times[i] = (System.nanoTime() - t0) / 1e9;
                }
                java.util.Arrays.sort(times);
                double median = times[steps / 2];
                double best = times[0];
                double tokensPerSecond = batch / median;
                if (batch == 1) {
                    batch1 = tokensPerSecond;
                }
                int meanContext = context + steps / 2;
                double bound = (weightBytes + (double) batch * meanContext * kvBytesPerToken) / bandwidth; // seconds per step
                s.append(String.format(Locale.ROOT, "| decode | %d | %d | %d | %.1f | %.1f | %.2f | %s | %.2f | %.0f%% | %.0f%% |%n",
                        batch, context, steps, median * 1e3, best * 1e3, tokensPerSecond,
                        batch1 > 0 ? String.format(Locale.ROOT, "%.2f", tokensPerSecond / batch1) : "-",
                        batch / bound, 100 * bound / median, 100 * bound / best));
            }
            if (prefill > 0) {
                ForwardBatch p = prefillBatch(prefill, blocksPerSeq, c.vocabSize());
                backend.forward(p);
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < 3; rep++) {
                    long t0 = System.nanoTime();
                    backend.forward(p);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                double flops = 2.0 * model.streamedWeightBytes() / 2 * prefill;
                s.append(String.format(Locale.ROOT, "| prefill | 1 | %d | 1 | - | %.1f | %.1f | - | - | %.1f GFLOP/s (matmuls, best) | - |%n",
                        prefill, best * 1e3, prefill / best, flops / best / 1e9));
            }
        }
        return s.append('\n').toString();
    }

    /** Decode steps for {@code batch} sequences that already hold {@code context} tokens of KV (left zero: timing only). */
    private static final class Decode {
        private final int batch;
        private final int[][] tables;
        private final SplittableRandom random = new SplittableRandom(7);
        private final int vocab;
        private int position;

        Decode(int batch, int context, int blocksPerSeq, int vocab) {
            this.batch = batch;
            this.vocab = vocab;
            this.position = context;
            this.tables = new int[batch][blocksPerSeq];
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < blocksPerSeq; i++) {
                    tables[b][i] = b * blocksPerSeq + i;
                }
            }
        }

        ForwardBatch next() {
            int[] tokens = new int[batch];
            int[] positions = new int[batch];
            int[] slots = new int[batch];
            int[] starts = new int[batch + 1];
            int[] seqLens = new int[batch];
            int[] logits = new int[batch];
            for (int b = 0; b < batch; b++) {
                tokens[b] = random.nextInt(vocab);
                positions[b] = position;
                slots[b] = tables[b][position / BLOCK_SIZE] * BLOCK_SIZE + position % BLOCK_SIZE;
                starts[b + 1] = b + 1;
                seqLens[b] = position + 1;
                logits[b] = b;
            }
            position++;
            return new ForwardBatch(tokens, positions, slots, starts, seqLens, tables, logits);
        }
    }

    private static ForwardBatch prefillBatch(int n, int blocksPerSeq, int vocab) {
        SplittableRandom random = new SplittableRandom(11);
        int[] table = new int[blocksPerSeq];
        for (int i = 0; i < blocksPerSeq; i++) {
            table[i] = i;
        }
        int[] tokens = new int[n];
        int[] positions = new int[n];
        int[] slots = new int[n];
        for (int t = 0; t < n; t++) {
            tokens[t] = random.nextInt(vocab);
            positions[t] = t;
            slots[t] = table[t / BLOCK_SIZE] * BLOCK_SIZE + t % BLOCK_SIZE;
        }
        return new ForwardBatch(tokens, positions, slots, new int[] {0, n}, new int[] {n}, new int[][] {table}, new int[] {n - 1});
    }

    /** What the numbers depend on: CPU model, cores, Java, and how busy the machine was. */
    static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException | RuntimeException e) {
            // not Linux: leave it unknown
        }
        return String.format(Locale.ROOT, "Machine: %s, %d cores, Java %s (%s), %s, max heap %d MiB, load average %.2f at start.%n",
                cpu, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("java.vm.name"), FloatVectorInfo.describe(),
                Runtime.getRuntime().maxMemory() >> 20, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static final class FloatVectorInfo {
        static String describe() {
            return "Vector API " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit floats";
        }
    }

    private CpuBenchmark() {
    }
}
