package dev.minitron.engine.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.Backends;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Serving-style numbers for any backend ({@link Backends#open}: cpu, cuda or auto) on one checkpoint,
 * measured through {@link LlmEngine} the way a client sees it, so they compare with vLLM's and Hugging
 * Face's (engine/scripts/hf_bench.py measures the same four things):
 * <ul>
 *   <li>batch-1 decode latency: ms per output token after the first (TTFT excluded);</li>
 *   <li>TTFT of a long prompt (one output token), median of {@code --repeats};</li>
 *   <li>offline throughput: {@code c} requests of IN prompt tokens submitted at once, each generating
 *       exactly OUT tokens; output tokens per second of wall time, for each shape and concurrency.</li>
 * </ul>
 * Prompts are random token ids (fresh per request, so prefix caching cannot shortcut them; it is off
 * unless {@code --prefix-caching}); sampling is greedy with EOS ignored. Each measurement is guarded:
 * one that fails or times out is reported and the rest still run. Prints a markdown table and, with
 * {@code --json FILE}, writes the same rows as JSON.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp … dev.minitron.engine.bench.GpuBenchmark --model DIR --device cuda</pre>
 */
public final class GpuBenchmark {

    /** One reported number (or the reason it is missing: {@code value} NaN and {@code note} set). */
    record Row(String metric, int promptTokens, int outputTokens, int concurrency, double value, String unit,
               String note) {
    }

    private final GpuBenchmarkOptions options;
    private final SplittableRandom random;
    private final List<Row> rows = new ArrayList<>();
    private String backendName;
    private ObjectNode modelJson;
    private int tokenRange;
    private int maxModelLen;

    private GpuBenchmark(GpuBenchmarkOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    public static void main(String[] args) throws Exception {
        GpuBenchmarkOptions options;
        try {
            options = GpuBenchmarkOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(GpuBenchmarkOptions.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new GpuBenchmark(options).run());
    }

    /** Returns the exit status: 0 when no measurement failed (skipped ones, too long for the model, are not failures), 1 otherwise. */
    private int run() throws Exception {
        GpuBenchmarkOptions o = options;
        long t0 = System.nanoTime();
        Tokenizer tokenizer = Tokenizers.load(o.model());
        try (Backend backend = Backends.open(o.device(), o.model(), o.threads())) {
            backendName = backend.name();
            modelJson = new ObjectMapper().valueToTree(backend.modelConfig());
            tokenRange = Math.min(tokenizer.vocabSize(), backend.modelConfig().vocabSize());
            System.out.printf("loaded %s on %s in %.1f s%n", o.model(), backendName, (System.nanoTime() - t0) / 1e9);
            EngineConfig config = EngineConfig.defaults()
                    .withMaxNumSeqs(o.maxNumSeqs())
                    .withMaxNumBatchedTokens(o.maxNumBatchedTokens())
                    .withKvCacheBytes(o.kvCacheBytes())
                    .withGpuMemoryUtilization(o.gpuMemoryUtilization())
                    .withEnablePrefixCaching(o.prefixCaching());
            try (LlmEngine engine = new LlmEngine(backend, tokenizer, config)) {
                maxModelLen = engine.maxModelLen();
                guarded("warm-up", 8, 4, 1, () -> warmUp(engine));
                guarded("decode_ms_per_token", o.decodePrompt(), o.decodeTokens(), 1, () -> decode(engine));
                guarded("ttft_ms", o.ttftPrompt(), 1, 1, () -> ttft(engine));
                for (int i = 0; i < o.shapes().size(); i++) {
                    int[] shape = o.shapes().get(i);
                    for (int c : o.concurrency().get(i)) {
                        guarded("throughput_output_tok_s", shape[0], shape[1], c,
                                () -> throughput(engine, shape[0], shape[1], c));
                    }
                }
            }
        } catch (Exception | LinkageError e) {
            rows.add(new Row("load", 0, 0, 0, Double.NaN, "", "failed: " + e));
            if (backendName == null) {
                backendName = o.device() + " (not loaded)";
            }
            e.printStackTrace();
        }
        System.out.println();
        System.out.print(table());
        writeJson();
        return rows.stream().anyMatch(r -> r.note() != null && r.note().startsWith("failed")) ? 1 : 0;
    }

    @FunctionalInterface
    private interface Measurement {
        Row measure() throws Exception;
    }

    /** Runs one measurement; a failure, a timeout or a model too short becomes a row saying so. */
    private void guarded(String metric, int in, int out, int concurrency, Measurement m) {
        int maxLen = maxModelLen;
        if (maxLen > 0 && in + out > maxLen) {
            rows.add(new Row(metric, in, out, concurrency, Double.NaN, "",
                    "skipped: " + in + "+" + out + " tokens exceed max model length " + maxLen));
            return;
        }
        long t0 = System.nanoTime();
        try {
            Row r = m.measure();
            if (r != null) {
                rows.add(r);
                writeJson();
                System.out.printf("%s in=%d out=%d c=%d: %.3f %s (%.1f s)%n", metric, in, out, concurrency, r.value(),
                        r.unit(), (System.nanoTime() - t0) / 1e9);
            }
        } catch (Exception | Error e) { // an OutOfMemoryError or a native-library error is a result here too
            rows.add(new Row(metric, in, out, concurrency, Double.NaN, "", "failed: " + e));
            System.out.printf("%s in=%d out=%d c=%d FAILED: %s%n", metric, in, out, concurrency, e);
            try {
                writeJson();
            } catch (java.io.IOException io) {
                System.out.println("could not write " + options.json() + ": " + io);
            }
        }
    }

    private Row warmUp(LlmEngine engine) throws Exception {
        check(RequestBatch.run(engine, prompts(2, 8), 4, options.timeoutSeconds()));
        return null;
    }

    private Row decode(LlmEngine engine) throws Exception {
        RequestBatch.Result r = check(RequestBatch.run(engine, prompts(1, options.decodePrompt()),
                options.decodeTokens(), options.timeoutSeconds()));
        return new Row("decode_ms_per_token", options.decodePrompt(), options.decodeTokens(), 1,
                r.timings().getFirst().decodeMillisPerToken(), "ms", "batch 1, TTFT excluded");
    }

    private Row ttft(LlmEngine engine) throws Exception {
        double[] ms = new double[options.repeats()];
        for (int i = 0; i < ms.length; i++) {
            RequestBatch.Result r = check(RequestBatch.run(engine, prompts(1, options.ttftPrompt()), 1,
                    options.timeoutSeconds()));
            ms[i] = r.timings().getFirst().ttftMillis();
        }
        Arrays.sort(ms);
        return new Row("ttft_ms", options.ttftPrompt(), 1, 1, ms[ms.length / 2], "ms",
                "median of " + ms.length + " (min %.1f, max %.1f)".formatted(ms[0], ms[ms.length - 1]));
    }

    private Row throughput(LlmEngine engine, int in, int out, int concurrency) throws Exception {
        RequestBatch.Result r = check(RequestBatch.run(engine, prompts(concurrency, in), out, options.timeoutSeconds()));
        return new Row("throughput_output_tok_s", in, out, concurrency, r.outputTokens() / r.seconds(), "tok/s",
                "%d tokens in %.2f s".formatted(r.outputTokens(), r.seconds()));
    }

    private static RequestBatch.Result check(RequestBatch.Result r) {
        String problem = r.firstProblem();
        if (problem != null) {
            throw new IllegalStateException("a request ended " + problem);
        }
        return r;
    }

    /** Random prompts over the ids the tokenizer knows, BOS excluded, fresh for every request. */
    private List<int[]> prompts(int count, int length) {
        List<int[]> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(random.ints(length, 4, tokenRange).toArray());
        }
        return list;
    }

    private String table() {
        StringBuilder sb = new StringBuilder();
        sb.append("## ").append(Instant.now().toString(), 0, 19).append("Z — GpuBenchmark, ").append(options.model())
                .append(", backend ").append(backendName).append(", Java ").append(System.getProperty("java.version"))
                .append(", maxNumSeqs ").append(options.maxNumSeqs()).append(", maxNumBatchedTokens ")
                .append(options.maxNumBatchedTokens()).append("\n\n")
                .append("| metric | prompt | output | concurrency | value | unit | note |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s | %s | %s |%n", r.metric(), r.promptTokens(),
                    r.outputTokens(), r.concurrency(), Double.isNaN(r.value()) ? "—" : "%.2f".formatted(r.value()),
                    r.unit(), r.note() == null ? "" : r.note().replace('|', '/').replace('\n', ' ')));
        }
        return sb.toString();
    }

    /** Rewritten after every measurement, so a run killed by its time limit keeps what it measured. */
    private void writeJson() throws java.io.IOException {
        if (options.json() == null) {
            return;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("tool", "GpuBenchmark");
        root.put("time", Instant.now().toString());
        root.put("model", options.model().toString());
        root.put("backend", backendName);
        root.put("java", System.getProperty("java.version"));
        root.set("modelConfig", modelJson);
        root.put("maxNumSeqs", options.maxNumSeqs());
        root.put("maxNumBatchedTokens", options.maxNumBatchedTokens());
        root.put("gpuMemoryUtilization", options.gpuMemoryUtilization());
        root.put("prefixCaching", options.prefixCaching());
        ArrayNode results = root.putArray("results");
        for (Row r : rows) {
            ObjectNode n = results.addObject();
            n.put("metric", r.metric());
            n.put("promptTokens", r.promptTokens());
            n.put("outputTokens", r.outputTokens());
            n.put("concurrency", r.concurrency());
            if (Double.isNaN(r.value())) {
                n.putNull("value");
            } else {
                n.put("value", r.value());
            }
            n.put("unit", r.unit());
            n.put("note", r.note());
        }
        Path file = options.json().toAbsolutePath();
        Files.createDirectories(file.getParent());
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }
}
