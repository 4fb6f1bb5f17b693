package dev.minitron.worker.bench;

import dev.minitron.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * How a freshly started worker serves its first minute, for each JVM setup: its ready time (process
 * start to {@code /q/health/ready} answering 200) and the client-side TTFT (send to the first token
 * event received) of prompts sent in the first {@code --window} seconds after ready, against the
 * next window (steady state), at a fixed arrival rate. The JIT compiler threads' CPU in each window
 * shows the warm-up it did. Setups: {@code default} (as shipped: the JVM flags of the launcher and
 * the image, the synthetic warm-up before readiness on), {@code no-warm-up} (the same without the
 * synthetic warm-up, {@code minitron.engine.warm-up.enabled=false}), {@code aot} (the defaults plus a
 * Java 25 AOT cache, JEP 483/514/515, recorded as the Helm chart's init container does:
 * {@code AotCacheRecording}, a start and the synthetic warm-up under {@code -XX:AOTCacheOutput}) and
 * {@code aot-load} (the cache recorded by a training worker that serves the same load for
 * {@code --train} seconds and exits, as {@code ./minitron demo} records it). The measured worker
 * starts with {@code -XX:AOTCache}. A setup may be named more than once, so that runs alternate on a
 * busy machine.
 *
 * <pre>./minitron bench-delivery warm-up [--rate 8] [--window 60] [--train 60] [--max-tokens 16]
 *     [--engine-threads 1] [--setups no-warm-up,default,aot,aot-load] [--out docs/benchmarks/kafka.md]</pre>
 */
final class WarmUpBenchmark {

    /** One window's client-side TTFTs (ms) and the worker's CPU seconds in it: JIT compiler threads, all threads. */
    private record Window(List<Double> ttft, double jitSeconds, double workerSeconds) {
    }

    /** {@code warmUp}: the worker's own log line of its synthetic warm-up ("off" when there was none). */
    private record Result(String setup, double readyMs, String warmUp, Window first, Window steady, String note) {
    }

    private WarmUpBenchmark() {
    }

    static String run(Map<String, String> opts) throws Exception {
        double rate = Double.parseDouble(opts.getOrDefault("rate", "8"));
        int window = Integer.parseInt(opts.getOrDefault("window", "60"));
        int train = Integer.parseInt(opts.getOrDefault("train", "60"));
        int maxTokens = Integer.parseInt(opts.getOrDefault("max-tokens", "16"));
        String threads = opts.getOrDefault("engine-threads", "1");
        List<String> setups = List.of(opts.getOrDefault("setups", "no-warm-up,default,aot").split(","));
        Map<String, String> defaults = Map.of("minitron.engine.threads", threads);

        List<Result> results = new ArrayList<>();
        try (BenchFleet fleet = BenchFleet.start(4)) {
            for (String setup : setups) {
                Map<String, String> settings = setup.equals("no-warm-up")
                        ? Map.of("minitron.engine.threads", threads, "minitron.engine.warm-up.enabled", "false")
                        : defaults;
                List<String> flags = new ArrayList<>(List.of("-Xmx512m"));
                String note = "";
                if (setup.equals("aot")) {
                    Path cache = fleet.dir.resolve("worker-" + results.size() + ".aot");
                    long t0 = System.nanoTime();
                    record(fleet, cache, threads);
                    note = "recorded as the chart's init container does (AotCacheRecording: start, synthetic warm-up,"
                            + " halt) in %.0f s, cache %d MiB".formatted((System.nanoTime() - t0) / 1e9,
                            Files.size(cache) >> 20);
                    flags.add("-XX:AOTCache=" + cache);
                } else if (setup.equals("aot-load")) {
                    Path cache = fleet.dir.resolve("worker-" + results.size() + ".aot");
                    long t0 = System.nanoTime();
                    var trainer = fleet.startWorker("train-" + setup + "-" + results.size(), defaults,
                            List.of("-Xmx512m", "-XX:AOTCacheOutput=" + cache));
                    load(fleet, rate, train, maxTokens, "train");
                    trainer.process().destroy();   // SIGTERM: the JVM writes the cache as it exits
                    if (!trainer.process().waitFor(10, TimeUnit.MINUTES) || !Files.isRegularFile(cache)) {
                        throw new IllegalStateException("the training worker wrote no AOT cache; see " + trainer.log());
                    }
                    note = "training run %.0f s (load %d s, then exit and cache assembly), cache %d MiB"
                            .formatted((System.nanoTime() - t0) / 1e9, train, Files.size(cache) >> 20);
                    flags.add("-XX:AOTCache=" + cache);
                } else if (!setup.equals("default") && !setup.equals("no-warm-up")) {
                    throw new IllegalArgumentException("unknown setup " + setup + " (default, no-warm-up, aot, aot-load)");
                }
                long start = System.nanoTime();
                var worker = fleet.startWorker("warm-up-" + setup + "-" + results.size(), settings, flags);
                double readyMs = (System.nanoTime() - start) / 1e6;
                String warmUp = warmUpLine(worker.log());
                List<Window> w = load(fleet, rate, window, maxTokens, setup, worker.pid());
                results.add(new Result(setup, readyMs, warmUp, w.get(0), w.get(1), note));
                worker.close();
                System.out.printf("%s: ready in %.0f ms, TTFT p99 first %.1f ms, steady %.1f ms%n", setup, readyMs,
                        KafkaVsDirectBenchmark.pct(w.get(0).ttft(), 99), KafkaVsDirectBenchmark.pct(w.get(1).ttft(), 99));
            }
        }
        StringBuilder table = new StringBuilder("""
                Open-loop load at %.1f prompts/s (16–64 prompt tokens, %d generated, greedy, streamed), one worker
                (`-Xmx512m`, `minitron.engine.threads=%s`), 4 partitions. "first" = prompts sent in the first %d s
                after the worker was ready, "steady" = the %d s after that. TTFT is the client's: send to first
                token event received.

                | setup | ready after start | TTFT p50 / p99, first %d s | TTFT p50 / p99, steady | first-window p99 / steady p99 | worker CPU (JIT threads), first / steady window |
                |---|---|---|---|---|---|
                """.formatted(rate, maxTokens, threads, window, window, window));
        for (Result r : results) {
            table.append("| %s | %.1f s | %.1f / %.1f ms | %.1f / %.1f ms | %.2f× | %.1f (%.1f) / %.1f (%.1f) s |%n".formatted(r.setup(),
                    r.readyMs() / 1000, KafkaVsDirectBenchmark.pct(r.first().ttft(), 50),
                    KafkaVsDirectBenchmark.pct(r.first().ttft(), 99), KafkaVsDirectBenchmark.pct(r.steady().ttft(), 50),
                    KafkaVsDirectBenchmark.pct(r.steady().ttft(), 99),
                    KafkaVsDirectBenchmark.pct(r.first().ttft(), 99) / KafkaVsDirectBenchmark.pct(r.steady().ttft(), 99),
                    r.first().workerSeconds(), r.first().jitSeconds(), r.steady().workerSeconds(),
                    r.steady().jitSeconds()));
        }
        table.append("\nThe workers' synthetic warm-up (their own log line):\n\n");
        results.forEach(r -> table.append("- ").append(r.setup()).append(": ").append(r.warmUp()).append("\n"));
        results.stream().filter(r -> !r.note().isEmpty())
                .forEach(r -> table.append("\n").append(r.setup()).append(": ").append(r.note()).append(".\n"));
        return table.toString();
    }

    /** Records an AOT cache as the Helm chart's init container does, with this worker jar and model. */
    private static void record(BenchFleet fleet, Path cache, String threads) throws Exception {
        Path app = Path.of(System.getProperty("minitron.worker.jar", "worker/target/quarkus-app/quarkus-run.jar"))
                .toAbsolutePath().getParent();
        var builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                app.resolve("app") + "/*:" + app.resolve("lib/main") + "/*",
                "dev.minitron.worker.engine.AotCacheRecording", cache.toString(), app.resolve("quarkus-run.jar").toString(),
                "600");
        builder.environment().put("MINITRON_MODEL_PATH", fleet.model.toString());
        builder.environment().put("MINITRON_ENGINE_THREADS", threads);
        builder.environment().put("JDK_JAVA_OPTIONS", "-Xmx512m");
        Path log = fleet.dir.resolve(cache.getFileName() + ".log");
        int code = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start().waitFor();
        if (code != 0 || !Files.isRegularFile(cache)) {
            throw new IllegalStateException("no AOT cache recorded; see " + log);
        }
    }

    /** What the worker logged of its synthetic warm-up, from "warm-up:" on. */
    private static String warmUpLine(Path log) throws java.io.IOException {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains("warm-up: ")).map(l -> l.substring(l.indexOf("warm-up: ") + 9))
                    .findFirst().orElse("no warm-up line in the log");
        }
    }

    /** Training load: the same prompts at the same rate, nothing recorded. */
    private static void load(BenchFleet fleet, double rate, int seconds, int maxTokens, String label) throws Exception {
        load(fleet, rate, seconds, maxTokens, label, -1);
    }

    /**
     * Sends prompts at {@code rate} per second for two windows of {@code seconds} (one when
     * {@code pid} is -1) and returns each window's TTFTs and worker CPU; prompts still unanswered
     * 60 s after the last send fail the run.
     */
    private static List<Window> load(BenchFleet fleet, double rate, int seconds, int maxTokens, String label, long pid)
            throws Exception {
        int windows = pid < 0 ? 1 : 2;
        List<Map<Long, ThreadCpu.Thread>> cpu = java.util.Collections.synchronizedList(new ArrayList<>());
        int total = (int) Math.round(rate * seconds * windows);
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Map<String, Integer> windowOf = new ConcurrentHashMap<>();
        Map<String, Long> firstAt = new ConcurrentHashMap<>();
        AtomicBoolean sending = new AtomicBoolean(true);
        String prefix = label + "-" + System.nanoTime() + "-";
        Random random = new Random(7);
        try (var producer = fleet.producer(); var streams = fleet.tailing(Topics.TOKENS, Topics.COMPLETIONS)) {
            long t0 = System.nanoTime();
            long periodNanos = (long) (1e9 / rate);
            int perWindow = total / windows;
            Thread sender = Thread.ofPlatform().name("warm-up-sender").start(() -> {
                for (int i = 0; i < total; i++) {
                    if (pid >= 0 && i % perWindow == 0) {
                        cpu.add(snapshot(pid));
                    }
                    long due = t0 + i * periodNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    String id = prefix + i;
                    int[] tokens = random.ints(16 + random.nextInt(49), 3, 1000).toArray();
                    windowOf.put(id, i / perWindow);
                    sentAt.put(id, System.nanoTime());
                    producer.send(new ProducerRecord<>(Topics.PROMPTS, id, json(id, tokens, maxTokens)));
                }
                producer.flush();
                sending.set(false);
            });
            java.util.Set<String> answered = new java.util.HashSet<>();
            long giveUp = Long.MAX_VALUE;
            while (answered.size() < total) {
                if (!sending.get() && giveUp == Long.MAX_VALUE) {
                    giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                }
                if (System.nanoTime() > giveUp) {
                    throw new IllegalStateException("only " + answered.size() + " of " + total + " prompts answered");
                }
                for (ConsumerRecord<String, String> r : streams.poll(Duration.ofMillis(1))) {
                    if (r.key() == null || !r.key().startsWith(prefix)) {
                        continue;
                    }
                    if (r.topic().equals(Topics.TOKENS)) {
                        firstAt.putIfAbsent(r.key(), System.nanoTime());
                    } else {
                        answered.add(r.key());
                    }
                }
            }
            sender.join();
            if (pid >= 0) {
                cpu.add(snapshot(pid));
            }
        }
        List<Window> out = new ArrayList<>();
        for (int w = 0; w < windows; w++) {
            int index = w;
            List<Double> ttft = new ArrayList<>();
            firstAt.forEach((id, at) -> {
                if (windowOf.get(id) == index) {
                    ttft.add((at - sentAt.get(id)) / 1e6);
                }
            });
            Map<String, Double> used = pid < 0 ? Map.of() : ThreadCpu.between(cpu.get(w), cpu.get(w + 1));
            out.add(new Window(ttft, used.entrySet().stream().filter(e -> e.getKey().contains("CompilerThre"))
                    .mapToDouble(Map.Entry::getValue).sum(), used.values().stream().mapToDouble(Double::doubleValue).sum()));
        }
        return out;
    }

    private static Map<Long, ThreadCpu.Thread> snapshot(long pid) {
        try {
            return ThreadCpu.snapshot(pid);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String json(String id, int[] tokens, int maxTokens) {
        return "{\"id\":\"" + id + "\",\"prompt_token_ids\":" + java.util.Arrays.toString(tokens).replace(" ", "")
                + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":true}";
    }
}
