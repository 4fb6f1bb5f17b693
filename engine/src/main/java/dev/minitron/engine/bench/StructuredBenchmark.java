package dev.minitron.engine.bench;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.structured.GrammarCompiler;
import dev.minitron.engine.structured.GrammarMatcher;
import dev.minitron.engine.structured.StructuredOutputsParams;
import dev.minitron.engine.structured.TokenGrammar;
import dev.minitron.engine.structured.TokenMask;
import dev.minitron.engine.structured.TokenVocabulary;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What structured outputs cost (docs/benchmarks/structured.md): the per-token mask cost and the
 * compile time on a 256k SentencePiece-shaped vocabulary (Minitron's size), and the throughput of a
 * batch of 64 where half the rows are constrained against one where none is, on the CPU backend.
 *
 * <p>The mask cost of a token is what a constrained row adds to sampling: asking the matcher for the
 * allowed set, applying it to a 256k logits row (a gather for a sparse mask, −∞ over the rest for a
 * dense one) and advancing the matcher by the chosen token. Tokens are chosen uniformly from the
 * allowed set, as a random-weight model would, so every corner of the grammar gets visited.
 *
 * <pre>./minitron bench-structured [--vocab 256000] [--sequences 200] [--out docs/benchmarks/structured.md]</pre>
 */
public final class StructuredBenchmark {

    /** Ten properties, one nested object, bounded and unbounded strings, patterns, enums, numbers, an array. */
    public static final String TEN_PROPERTY_SCHEMA = """
            {"type":"object","properties":{
             "id":{"type":"integer","minimum":1,"maximum":1000000},
             "name":{"type":"string","maxLength":40},
             "email":{"type":"string","pattern":"^[a-z0-9._]+@[a-z0-9]+\\\\.[a-z]{2,4}$"},
             "age":{"type":"integer","minimum":0,"maximum":150},
             "score":{"type":"number","minimum":0,"maximum":100},
             "active":{"type":"boolean"},
             "role":{"enum":["admin","editor","viewer"]},
             "tags":{"type":"array","items":{"type":"string","maxLength":16},"maxItems":5},
             "address":{"type":"object","properties":{"street":{"type":"string"},"city":{"type":"string"},
               "zip":{"type":"string","pattern":"^[0-9]{5}$"},"country":{"enum":["US","DE","FR","JP"]}},
               "required":["street","city","country"],"additionalProperties":false},
             "notes":{"type":["string","null"]}},
             "required":["id","name","email","age","active","role","address"],"additionalProperties":false}""";
    static final List<String> CHOICE = List.of("positive", "negative", "neutral", "mixed", "not applicable");
    static final String REGEX = "[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,6}";

    public static void main(String[] args) throws Exception {
        int vocabSize = 256_000;
        int sequences = 200;
        Path out = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--vocab" -> vocabSize = Integer.parseInt(args[i + 1]);
                case "--sequences" -> sequences = Integer.parseInt(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        StringBuilder report = new StringBuilder();
        report.append("## ").append(Instant.now().toString(), 0, 19).append("Z — ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, load average ")
                .append(String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
                .append(", ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append("\n\n");
        long t0 = System.nanoTime();
        TokenVocabulary vocabulary = new TokenVocabulary(syntheticVocabulary(vocabSize, 42), 2);
        report.append(String.format(Locale.ROOT, "Vocabulary: %,d synthetic SentencePiece-style pieces (4 control, 256 byte"
                        + " pieces, the rest words with and without '▁', digits, punctuation runs, JSON fragments, CJK);"
                        + " trie of %,d nodes built in %.0f ms (once per model).%n%n",
                vocabSize, vocabulary.numNodes(), (System.nanoTime() - t0) / 1e6));
        report.append("### Mask cost per generated token (µs), tokens chosen uniformly among the allowed, from the"
                        + " moment the compile returns (the compile thread's masks race the first sequences)\n\n")
                .append("| constraint | sequences | tokens | p50 | p90 | p99 | max | mean allowed tokens |\n|---|---|---|---|---|---|---|---|\n");
        List<StructuredOutputsParams> cases = List.of(StructuredOutputsParams.json(TEN_PROPERTY_SCHEMA),
                StructuredOutputsParams.choice(CHOICE), StructuredOutputsParams.regex(REGEX));
        List<String> names = List.of("10-property nested JSON schema", "choice (5 strings)", "regex (e-mail)");
        for (int c = 0; c < cases.size(); c++) {
            report.append(maskCost(names.get(c), new GrammarCompiler(vocabulary).compile(cases.get(c)), vocabulary,
                    sequences));
        }
        report.append("\n### Compile time (ms) on this vocabulary; then every mask on the compile thread\n\n")
                .append("| constraint | DFA states | first compile p50 | p90 | cached hit p50 (µs) | mask classes |"
                        + " all masks after compile p50 (ms) | mask memory (MB) |\n|---|---|---|---|---|---|---|---|\n");
        for (int c = 0; c < cases.size(); c++) {
            report.append(compileTime(names.get(c), cases.get(c), vocabulary));
        }
        report.append(batchThroughput());
        System.out.print(report);
        if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
    }

    private static String maskCost(String name, TokenGrammar grammar, TokenVocabulary vocabulary, int sequences) {
        SplittableRandom rng = new SplittableRandom(7);
        float[] logits = new float[vocabulary.size()];
        long[] nanos = new long[sequences * 256];
        int n = 0;
        long allowedTotal = 0;
        for (int s = 0; s < sequences; s++) {
            GrammarMatcher m = grammar.matcher();
            for (int t = 0; t < 256; t++) {
                Arrays.fill(logits, 0.5f);
                long start = System.nanoTime();
                TokenMask mask = m.allowedTokens();
                int token;
                if (mask.isSparse()) {
                    int[] ids = mask.ids();
                    float[] gathered = new float[ids.length];
                    for (int i = 0; i < ids.length; i++) {
                        gathered[i] = logits[ids[i]];
                    }
                    token = ids[rng.nextInt(ids.length)];
                    logits[0] = gathered[0];
                } else {
                    mask.applyTo(logits);
                    token = pickAllowed(mask, rng);
                }
                if (token == vocabulary.eosId()) {
                    m.accept(token);
                    nanos[n++] = System.nanoTime() - start;
                    allowedTotal += mask.count();
                    break;
                }
                m.accept(token);
                nanos[n++] = System.nanoTime() - start;
                allowedTotal += mask.count();
            }
        }
        long[] sorted = Arrays.copyOf(nanos, n);
        Arrays.sort(sorted);
        return String.format(Locale.ROOT, "| %s | %d | %,d | %.1f | %.1f | %.1f | %.0f | %,d |%n", name, sequences, n,
                pct(sorted, 0.5) / 1e3, pct(sorted, 0.9) / 1e3, pct(sorted, 0.99) / 1e3, sorted[n - 1] / 1e3,
                allowedTotal / n);
    }

    /** A uniformly drawn allowed token of a dense mask (rejection sampling: dense masks allow many). */
    private static int pickAllowed(TokenMask mask, SplittableRandom rng) {
        while (true) {
            int id = rng.nextInt(mask.vocabSize());
            if (mask.allows(id)) {
                return id;
            }
        }
    }

    /**
     * First compiles with a fresh cache each; the masks the compile thread computes afterwards are
     * waited for (and timed) outside the compile time, so one run's masks never slow the next compile.
     */
    private static String compileTime(String name, StructuredOutputsParams params, TokenVocabulary vocabulary) {
        int runs = 15;
        long[] first = new long[runs];
        long[] hits = new long[runs];
        long[] masks = new long[runs];
        TokenGrammar g = null;
        for (int r = 0; r < runs; r++) {
            GrammarCompiler compiler = new GrammarCompiler(vocabulary);
            long a = System.nanoTime();
            g = compiler.compile(params);
            first[r] = System.nanoTime() - a;
            g.masksReady().join();
            masks[r] = System.nanoTime() - a - first[r];
            long b = System.nanoTime();
            compiler.compile(params);
            hits[r] = System.nanoTime() - b;
        }
        Arrays.sort(first);
        Arrays.sort(hits);
        Arrays.sort(masks);
        return String.format(Locale.ROOT, "| %s | %,d | %.1f | %.1f | %.1f | %,d | %.0f | %.1f |%n", name, g.numStates(),
                pct(first, 0.5) / 1e6, pct(first, 0.9) / 1e6, pct(hits, 0.5) / 1e3, g.numMaskClasses(),
                pct(masks, 0.5) / 1e6, g.maskBytes() / 1e6);
    }

    /**
     * 64 requests on the tiny CPU model, all unconstrained or half constrained by a regex that keeps
     * every row running to max_tokens; tokens/s over the whole batch. The two variants alternate
     * round by round (drifting machine load hits both alike); the first pair warms the JIT up and is
     * not counted; the ratio is of the medians.
     */
    private static String batchThroughput() throws IOException {
        Path dir = Files.createTempDirectory("minitron-structured-bench").resolve("tiny");
        TinyCheckpoint.write(dir, TinyPreset.TINY, 7);
        int rounds = 15;
        int maxTokens = 64;
        StringBuilder s = new StringBuilder("\n### Batch of 64 on the CPU backend (tiny model, vocab 1,024, 2 threads),"
                + " max_tokens " + maxTokens + ", " + rounds + " rounds each after a warm-up pair\n\n"
                + "| batch | round tokens/s (each) | median tokens/s | best |\n|---|---|---|---|\n");
        try (LlmEngine engine = new LlmEngine(CpuBackend.load(dir, 2), Tokenizers.load(dir),
                EngineConfig.defaults().withMaxNumSeqs(64))) {
            TokenGrammar letters = engine.grammarCompiler().compile(StructuredOutputsParams.regex("[a-z ]{400,}"));
            List<List<Double>> all = List.of(new ArrayList<>(), new ArrayList<>());
            for (int round = -2; round < rounds * 2; round++) {
                int variant = Math.floorMod(round, 2);   // interleaved, so drifting machine load hits both alike
                double tps = runBatch(engine, variant == 1 ? letters : null, maxTokens, round + 2);
                if (round >= 0) {
                    all.get(variant).add(tps);
                }
            }
            double[] median = new double[2];
            for (int v = 0; v < 2; v++) {
                double[] sorted = all.get(v).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                median[v] = sorted[sorted.length / 2];
                s.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.0f |%n",
                        v == 0 ? "64 unconstrained" : "32 unconstrained + 32 regex-constrained",
                        all.get(v).stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList(), median[v],
                        sorted[sorted.length - 1]));
            }
            s.append(String.format(Locale.ROOT, "%nHalf constrained / all unconstrained (medians): **%.3f**%n",
                    median[1] / median[0]));
        }
        return s.toString();
    }

    private static double runBatch(LlmEngine engine, TokenGrammar grammar, int maxTokens, int round) {
        int[] prompt = engine.tokenizer().encode("Write a list:");
        CountDownLatch done = new CountDownLatch(64);
        AtomicLong tokens = new AtomicLong();
        long start = System.nanoTime();
        for (int i = 0; i < 64; i++) {
            boolean constrained = grammar != null && i % 2 == 1;
            var b = SamplingParams.builder().maxTokens(maxTokens).temperature(1.0).seed((long) i);
            var params = constrained ? b.grammar(grammar).build() : b.ignoreEos(true).build();
            engine.addRequest(new EngineRequest("r" + round + "-" + i, prompt, params), out -> {
                if (out instanceof RequestOutput.Finished f) {
                    tokens.addAndGet(f.completionTokens());
                    done.countDown();
                }
            });
        }
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return tokens.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }

    /**
     * Pieces shaped like a large SentencePiece vocabulary: ids 0–3 control (2 is EOS), 4–259 the
     * byte-fallback pieces, then distinct pieces: lower-case and capitalised words with and
     * without the leading space, digit runs, punctuation and whitespace runs, JSON fragments, CJK.
     */
    static byte[][] syntheticVocabulary(int size, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[][] v = new byte[size][];
        v[0] = " \u2047 ".getBytes(StandardCharsets.UTF_8);
        v[1] = new byte[0];
        v[2] = new byte[0];
        v[3] = new byte[0];
        for (int b = 0; b < 256; b++) {
            v[4 + b] = new byte[] {(byte) b};
        }
        Set<String> seen = new HashSet<>();
        String letters = "eeeeeeeeeeeettttttttaaaaaaaaooooooooiiiiiiinnnnnnnssssssrrrrrrhhhhhllllddddcccuuummwwffggyyppbbvkjxqz";
        String punct = ".,;:!?-_'\"()[]{}<>/\\|@#$%^&*+=~`";
        String[] json = {"\":", "\",", "{\"", "\"}", "},", "[\"", "\"]", "\":\"", "\",\"", "\":{", "\":[", "null", "true", "false"};
        int id = 260;
        while (id < size) {
            int kind = rng.nextInt(100);
            StringBuilder p = new StringBuilder();
            if (kind < 70) {
                if (rng.nextInt(10) < 6) {
                    p.append(' ');
                }
                int len = 1 + rng.nextInt(rng.nextInt(3) == 0 ? 14 : 8);
                for (int i = 0; i < len; i++) {
                    char ch = letters.charAt(rng.nextInt(letters.length()));
                    p.append(i == 0 && rng.nextInt(5) == 0 ? Character.toUpperCase(ch) : ch);
                }
            } else if (kind < 76) {
                int len = 1 + rng.nextInt(3);
                for (int i = 0; i < len; i++) {
                    p.append((char) ('0' + rng.nextInt(10)));
                }
            } else if (kind < 84) {
                int len = 1 + rng.nextInt(3);
                for (int i = 0; i < len; i++) {
                    p.append(punct.charAt(rng.nextInt(punct.length())));
                }
            } else if (kind < 88) {
                p.append(rng.nextBoolean() ? " ".repeat(1 + rng.nextInt(16)) : "\n".repeat(1 + rng.nextInt(3)));
            } else if (kind < 92) {
                p.append(json[rng.nextInt(json.length)]);
                if (rng.nextBoolean()) {
                    p.append(letters.charAt(rng.nextInt(letters.length())));
                }
            } else {
                int len = 1 + rng.nextInt(3);
                for (int i = 0; i < len; i++) {
                    p.appendCodePoint(0x4E00 + rng.nextInt(0x5200));
                }
            }
            if (seen.add(p.toString())) {
                v[id++] = p.toString().getBytes(StandardCharsets.UTF_8);
            }
        }
        return v;
    }
}
