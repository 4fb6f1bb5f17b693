package dev.minitron.engine.bench;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Engine-only throughput (no Kafka): for each batch size, submits that many greedy requests at once,
 * each generating exactly {@code maxTokens} tokens, and reports generated tokens/s and steps/s.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp … dev.minitron.engine.bench.EngineBenchmark
 *     [--model DIR] [--max-tokens 64] [--batches 1,8,32] [--threads N] [--out FILE]</pre>
 *
 * With {@code --models 100m,1b} it runs {@link CpuBenchmark} instead. {@link GpuBenchmark} measures
 * latency, TTFT and throughput on any backend.
 */
public final class EngineBenchmark {

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--models")) {
            CpuBenchmark.main(args); // the backend against the memory roofline, on generated 100M/1B models
            return;
        }
        Path model = null;
        int maxTokens = 64;
        int threads = Runtime.getRuntime().availableProcessors();
        String batches = "1,8,32";
        Path out = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[i + 1]);
                case "--max-tokens" -> maxTokens = Integer.parseInt(args[i + 1]);
                case "--batches" -> batches = args[i + 1];
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        String label = model == null ? "tiny preset (seed 1)" : model.getFileName().toString();
        if (model == null) {
            model = Files.createTempDirectory("minitron-bench").resolve("tiny");
            TinyCheckpoint.write(model, TinyPreset.TINY, 1);
        }
        Tokenizer tokenizer = Tokenizers.load(model);
        StringBuilder report = new StringBuilder("## " + Instant.now().toString().substring(0, 19) + "Z — engine only, "
                + label + ", CPU backend, " + threads + " threads, Java " + System.getProperty("java.version") + "\n\n"
                + "| batch | generated tokens | seconds | tokens/s | steps | ms/step |\n|---|---|---|---|---|---|\n");
        for (String b : batches.split(",")) {
            int batch = Integer.parseInt(b.trim());
            try (CpuBackend backend = CpuBackend.load(model, threads);
                 LlmEngine engine = new LlmEngine(backend, tokenizer, EngineConfig.defaults().withMaxNumSeqs(Math.max(batch, 1)))) {
                run(engine, tokenizer, Math.min(batch, 2), 8);   // warm-up
                long steps0 = engine.stats().numSteps();
                long t0 = System.nanoTime();
                run(engine, tokenizer, batch, maxTokens);
                double s = (System.nanoTime() - t0) / 1e9;
                long steps = engine.stats().numSteps() - steps0;
                long tokens = (long) batch * maxTokens;
                String row = "| %d | %d | %.2f | %.1f | %d | %.2f |%n".formatted(batch, tokens, s, tokens / s, steps,
                        s * 1000 / steps);
                System.out.print(row);
                report.append(row);
            }
        }
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
    }

    private static void run(LlmEngine engine, Tokenizer tokenizer, int batch, int maxTokens) throws Exception {
        List<int[]> prompts = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            prompts.add(tokenizer.encode("Benchmark request " + i + " begins a story about"));
        }
        RequestBatch.run(engine, prompts, maxTokens, Long.MAX_VALUE / 2);
    }

    private EngineBenchmark() {
    }
}
