package dev.minitron.worker.bench;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tokenizer.Tokenizers;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.tracing.FirstTokenHops;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The same workload through Kafka and straight into the engine API, in one run on this machine:
 * {@code --prompts} greedy prompts of 16–64 random token ids, {@code --max-tokens} each
 * (ignore_eos). Reports both throughputs and their ratio; the time to first token added by Kafka,
 * measured with one request at a time ({@code --latency-prompts}), as p50/p99 over loopback; and the
 * worker's CPU per prompt outside its engine threads, from /proc. The direct run uses the worker's
 * engine settings (max-num-seqs 64, 512 batched tokens, at most max-in-flight 128 outstanding).
 *
 * Through Kafka it runs once per delivery guarantee ({@code --guarantees}, both by default), each with
 * a fresh worker, and adds send → completion latency (exactly-once: the completion is visible to the
 * read_committed client only once its transaction commits).
 *
 * <pre>./minitron bench-delivery kafka-vs-direct [--prompts 10000] [--max-tokens 16] [--latency-prompts 200]
 *     [--guarantees exactly-once,at-least-once,exactly-once@100ms,exactly-once+kafka.linger.ms=0] [--jfr true]
 *     [--worker-settings kafka.linger.ms=0,...] [--out FILE]</pre>
 *
 * With {@code --jfr true} (the default) each worker runs a flight recording: the report adds the
 * time to first token hop by hop ({@link FirstTokenBreakdown}) and the worker's hottest code outside
 * the engine during the throughput run ({@link JfrProfile}).
 */
final class KafkaVsDirectBenchmark {

    private static final int MAX_IN_FLIGHT = 128;

    private KafkaVsDirectBenchmark() {
    }

    static String run(Map<String, String> opts) throws Exception {
        int prompts = Integer.parseInt(opts.getOrDefault("prompts", "10000"));
        int maxTokens = Integer.parseInt(opts.getOrDefault("max-tokens", "16"));
        int latencyPrompts = Integer.parseInt(opts.getOrDefault("latency-prompts", "200"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "1000"));
        boolean stream = Boolean.parseBoolean(opts.getOrDefault("stream", "true"));
        // A flight recording of each worker: the first-token hops and where the CPU went (~1-2 % overhead).
        boolean jfr = Boolean.parseBoolean(opts.getOrDefault("jfr", "true"));
        // e.g. --worker-settings kafka.linger.ms=0,minitron.status.enabled=false: the same for every Kafka run
        Map<String, String> extraSettings = keyValues(opts.getOrDefault("worker-settings", "").split(","));
        Random random = new Random(42);
        List<int[]> workload = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            workload.add(random.ints(16 + random.nextInt(49), 3, 1000).toArray());
        }
        // The warm-up cycles through the workload: it may be longer than the measured run (the C2
        // compiler of a worker on 2 busy cores compiles for about a minute of load).
        List<int[]> warm = new ArrayList<>();
        for (int i = 0; i < warmup; i++) {
            warm.add(workload.get(i % prompts));
        }
        List<int[]> single = workload.subList(0, Math.min(latencyPrompts, prompts));

        try (BenchFleet fleet = BenchFleet.start(4)) {
            // 1. Straight into the engine, in this JVM, while the broker idles.
            // Both paths get the same engine threads. Fewer than the cores leaves the rest to the Kafka
            // side, as on a GPU worker, where the model's arithmetic does not compete with the clients.
            int threads = Integer.parseInt(opts.getOrDefault("engine-threads",
                    Integer.toString(Runtime.getRuntime().availableProcessors())));
            double directSeconds;
            Latencies directSingle;
            double directCpu;
            try (CpuBackend backend = CpuBackend.load(fleet.model, threads);
                 LlmEngine engine = new LlmEngine(backend, Tokenizers.load(fleet.model),
                         new EngineConfig(64, 512, 0, 16, 256L << 20, MAX_IN_FLIGHT))) {
                direct(engine, warm, maxTokens);
                long cpu0 = processCpuNanos();
                long t0 = System.nanoTime();
                direct(engine, workload, maxTokens);
                directSeconds = (System.nanoTime() - t0) / 1e9;
                directCpu = (processCpuNanos() - cpu0) / 1e9;
                directSingle = directSingles(engine, single, maxTokens);
            }
            System.out.printf("direct: %d prompts in %.2f s%n", prompts, directSeconds);

            // 2. Through Kafka: one worker process with default settings, once per delivery guarantee.
            List<String> guarantees = List.of(opts.getOrDefault("guarantees", "exactly-once,at-least-once").split(","));
            List<KafkaRun> runs = new ArrayList<>();
            for (String guarantee : guarantees) {
                runs.add(throughKafka(fleet, guarantee.trim(), threads, warm, workload, single, maxTokens, stream, jfr,
                        extraSettings, runs.size() + 1));
            }
            double directRate = prompts / directSeconds;
            StringBuilder out = new StringBuilder();
            out.append("### Kafka vs. direct — %d prompts of 16–64 tokens, max_tokens %d (greedy, ignore_eos, stream %s), %d engine threads, %d warm-up prompts%s%n%n"
                    .formatted(prompts, maxTokens, stream, threads, warm.size(),
                            extraSettings.isEmpty() ? "" : ", worker settings " + extraSettings));
            out.append("| measure | direct (engine API, in-process) |");
            runs.forEach(r -> out.append(" through Kafka, %s |".formatted(r.guarantee())));
            out.append("\n|---|---|").append("---|".repeat(runs.size())).append('\n');
            row(out, "wall time, first submit/send to last answer", "%.2f s".formatted(directSeconds), runs,
                    r -> "%.2f s".formatted(r.seconds()));
            row(out, "prompts/s", "%.1f".formatted(directRate), runs, r -> "%.1f".formatted(prompts / r.seconds()));
            row(out, "generated tokens/s", "%.0f".formatted(directRate * maxTokens), runs,
                    r -> "%.0f".formatted(prompts / r.seconds() * maxTokens));
            row(out, "**Kafka / direct throughput**", "", runs,
                    r -> "**%.1f %%**".formatted(100 * prompts / r.seconds() / directRate));
            row(out, "TTFT p50 / p99, one request at a time (%d requests)".formatted(single.size()),
                    "%.2f / %.2f ms".formatted(pct(directSingle.ttft(), 50), pct(directSingle.ttft(), 99)), runs,
                    r -> "%.2f / %.2f ms".formatted(pct(r.single().ttft(), 50), pct(r.single().ttft(), 99)));
            row(out, "**TTFT added by Kafka p50 / p99**", "", runs, r -> "**%.2f / %.2f ms**".formatted(
                    pct(r.single().ttft(), 50) - pct(directSingle.ttft(), 50),
                    pct(r.single().ttft(), 99) - pct(directSingle.ttft(), 99)));
            row(out, "completion p50 / p99, one request at a time (send → completion read)",
                    "%.2f / %.2f ms".formatted(pct(directSingle.completion(), 50), pct(directSingle.completion(), 99)), runs,
                    r -> "%.2f / %.2f ms".formatted(pct(r.single().completion(), 50), pct(r.single().completion(), 99)));
            row(out, "**completion latency added by Kafka p50 / p99**", "", runs, r -> "**%.2f / %.2f ms**".formatted(
                    pct(r.single().completion(), 50) - pct(directSingle.completion(), 50),
                    pct(r.single().completion(), 99) - pct(directSingle.completion(), 99)));
            row(out, "process CPU during the run", "%.2f s (bench JVM, engine only)".formatted(directCpu), runs,
                    r -> "%.2f s (worker, all threads)".formatted(r.totalCpu()));
            row(out, "worker CPU in engine threads (`minitron-engine`, backend pool)", "", runs,
                    r -> "%.2f s".formatted(r.engineCpu()));
            row(out, "**worker CPU outside the engine, per prompt**", "", runs, r -> "**%.1f µs** (%.2f s total)"
                    .formatted(1e6 * (r.totalCpu() - r.engineCpu()) / prompts, r.totalCpu() - r.engineCpu()));
            row(out, "of which Kafka client threads (poll, producers' network, cancels) per prompt", "", runs,
                    r -> "%.1f µs".formatted(1e6 * r.kafkaClientCpu() / prompts));
            out.append('\n');
            runs.forEach(r -> out.append("Worker threads' CPU during the %s run (from /proc, ≥ 0.05 s): %s.%n%n"
                    .formatted(r.guarantee(), r.breakdown())));
            for (KafkaRun r : runs) {
                if (!r.hops().isEmpty()) {
                    out.append(("Time to first token through Kafka, hop by hop (%s; wall-clock µs stamps of the client"
                            + " and of the worker's `minitron.FirstTokenHops` flight-recorder events):%n%n%s%n")
                            .formatted(r.guarantee(), r.hops()));
                }
                if (!r.profile().isEmpty()) {
                    out.append("Worker profile during the %s throughput run (JFR `settings=profile`):%n%n%s%n"
                            .formatted(r.guarantee(), r.profile()));
                }
            }
            return out.toString();
        }
    }

    /** Send → first token event, and send → completion, one request at a time (ms). */
    record Latencies(List<Double> ttft, List<Double> completion) {
    }

    private record KafkaRun(String guarantee, double seconds, Latencies single, double totalCpu, double engineCpu,
                            double kafkaClientCpu, String breakdown, String hops, String profile) {
    }

    private static void row(StringBuilder out, String measure, String direct, List<KafkaRun> runs,
                            java.util.function.Function<KafkaRun, String> cell) {
        out.append("| ").append(measure).append(" | ").append(direct).append(" |");
        runs.forEach(r -> out.append(' ').append(cell.apply(r)).append(" |"));
        out.append('\n');
    }

    private static KafkaRun throughKafka(BenchFleet fleet, String guarantee, int threads, List<int[]> warm,
                                         List<int[]> workload, List<int[]> single, int maxTokens, boolean stream,
                                         boolean jfr, Map<String, String> extraSettings, int runIndex)
            throws Exception {
        // "exactly-once@5ms+kafka.linger.ms=0": a guarantee, optionally the commit interval to run it with,
        // and worker settings of this run only (so that one invocation can alternate two variants).
        String[] parts = guarantee.split("\\+");
        String head = parts[0];
        Map<String, String> settings = new java.util.HashMap<>(Map.of("minitron.engine.threads", Integer.toString(threads),
                "minitron.delivery.guarantee", head.split("@")[0]));
        String name = "bench-worker-" + runIndex + "-" + head.replace('@', '-');
        // Its own status view application: a new member of the previous worker's would wait out that
        // member's session (Kafka Streams does not leave its group on close) and process nothing meanwhile.
        settings.put("minitron.status.application-id", "minitron-status-" + runIndex + "-" + head.replace('@', '-'));
        extraSettings.forEach(settings::put);
        if (head.contains("@")) {
            settings.put("minitron.delivery.commit-interval", head.split("@")[1]);
        }
        settings.putAll(keyValues(Arrays.copyOfRange(parts, 1, parts.length)));
        List<String> flags = new ArrayList<>(List.of("-Xmx512m"));
        java.nio.file.Path recording = fleet.dir.resolve(name + ".jfr");
        if (jfr) {
            flags.add("-XX:StartFlightRecording=filename=" + recording + ",settings=profile,dumponexit=true");
        }
        var worker = fleet.startWorker(name, settings, flags);
        FirstTokenBreakdown firstTokens = new FirstTokenBreakdown();
        java.time.Instant runFrom;
        java.time.Instant runTo;
        KafkaRun run;
        try (worker;
             var producer = fleet.producer();
             var completions = fleet.tailing(Topics.COMPLETIONS);
             var streams = fleet.tailing(Topics.TOKENS, Topics.COMPLETIONS)) {
            throughKafka(producer, completions, "warm", warm, maxTokens, stream);
            var before = ThreadCpu.snapshot(worker.pid());
            runFrom = java.time.Instant.now();
            long t0 = System.nanoTime();
            throughKafka(producer, completions, "run", workload, maxTokens, stream);
            double seconds = (System.nanoTime() - t0) / 1e9;
            runTo = java.time.Instant.now();
            Map<String, Double> cpuByThread = ThreadCpu.between(before, ThreadCpu.snapshot(worker.pid()));
            System.out.printf("kafka (%s): %d prompts in %.2f s%n", guarantee, workload.size(), seconds);
            Latencies latencies = kafkaSingles(producer, streams, single, maxTokens, firstTokens);
            double engineCpu = cpuByThread.entrySet().stream().filter(e -> ThreadCpu.isEngine(e.getKey()))
                    .mapToDouble(Map.Entry::getValue).sum();
            double totalCpu = cpuByThread.values().stream().mapToDouble(Double::doubleValue).sum();
            double kafkaClientCpu = cpuByThread.entrySet().stream()
                    .filter(e -> e.getKey().startsWith("minitron-kafka") || e.getKey().startsWith("kafka-produc")
                            || e.getKey().startsWith("minitron-cance"))
                    .mapToDouble(Map.Entry::getValue).sum();
            String breakdown = new TreeMap<>(cpuByThread).entrySet().stream().filter(e -> e.getValue() >= 0.05)
                    .map(e -> "`%s` %.2f s".formatted(e.getKey(), e.getValue())).collect(Collectors.joining(", "));
            run = new KafkaRun(guarantee, seconds, latencies, totalCpu, engineCpu, kafkaClientCpu, breakdown, "", "");
        }
        if (!jfr || !java.nio.file.Files.isRegularFile(recording)) {
            return run;   // the worker dumps its recording when it exits (closed above)
        }
        return new KafkaRun(run.guarantee(), run.seconds(), run.single(), run.totalCpu(), run.engineCpu(),
                run.kafkaClientCpu(), run.breakdown(), firstTokens.table(recording),
                JfrProfile.summary(recording, runFrom, runTo, 15));
    }

    private static void direct(LlmEngine engine, List<int[]> workload, int maxTokens) throws InterruptedException {
        var params = SamplingParams.builder().maxTokens(maxTokens).temperature(0).ignoreEos(true).build();
        Semaphore room = new Semaphore(MAX_IN_FLIGHT);
        CountDownLatch done = new CountDownLatch(workload.size());
        long run = System.nanoTime();
        for (int i = 0; i < workload.size(); i++) {
            room.acquire();
            engine.addRequest(new EngineRequest("direct-" + run + "-" + i, workload.get(i), params), o -> {
                if (o instanceof RequestOutput.Finished) {
                    room.release();
                    done.countDown();
                }
            });
        }
        done.await();
    }

    /** Milliseconds from submit to the first token and to the end, one request at a time. */
    private static Latencies directSingles(LlmEngine engine, List<int[]> workload, int maxTokens) throws Exception {
        var params = SamplingParams.builder().maxTokens(maxTokens).temperature(0).ignoreEos(true).build();
        List<Double> ttft = new ArrayList<>();
        List<Double> completion = new ArrayList<>();
        for (int i = 0; i < workload.size(); i++) {
            CountDownLatch first = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(1);
            long[] at = new long[1];
            long t0 = System.nanoTime();
            engine.addRequest(new EngineRequest("single-" + t0, workload.get(i), params), o -> {
                if (o instanceof RequestOutput.TokenDelta && first.getCount() > 0) {
                    at[0] = System.nanoTime();
                    first.countDown();
                } else if (o instanceof RequestOutput.Finished) {
                    done.countDown();
                }
            });
            first.await(60, TimeUnit.SECONDS);
            done.await(60, TimeUnit.SECONDS);
            ttft.add((at[0] - t0) / 1e6);
            completion.add((System.nanoTime() - t0) / 1e6);
        }
        return new Latencies(ttft, completion);
    }

    private static void throughKafka(org.apache.kafka.clients.producer.KafkaProducer<String, String> producer,
                                     org.apache.kafka.clients.consumer.KafkaConsumer<String, String> completions,
                                     String label, List<int[]> workload, int maxTokens, boolean stream) {
        String prefix = label + "-" + System.nanoTime() + "-";
        for (int i = 0; i < workload.size(); i++) {
            String id = prefix + i;
            producer.send(new ProducerRecord<>(Topics.PROMPTS, id, json(id, workload.get(i), maxTokens, stream)));
        }
        producer.flush();
        Set<String> answered = new HashSet<>();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (answered.size() < workload.size()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + answered.size() + " of " + workload.size() + " answered");
            }
            for (ConsumerRecord<String, String> r : completions.poll(Duration.ofMillis(50))) {
                if (r.key() != null && r.key().startsWith(prefix)) {
                    answered.add(r.key());
                }
            }
        }
    }

    /** Milliseconds from send to the first token event and to the completion received, one request at a time. */
    private static Latencies kafkaSingles(org.apache.kafka.clients.producer.KafkaProducer<String, String> producer,
                                          org.apache.kafka.clients.consumer.KafkaConsumer<String, String> streams,
                                          List<int[]> workload, int maxTokens, FirstTokenBreakdown breakdown)
            throws Exception {
        List<Double> ttft = new ArrayList<>();
        List<Double> completion = new ArrayList<>();
        for (int i = 0; i < workload.size(); i++) {
            String id = "single-" + System.nanoTime() + "-" + i;
            var acked = new java.util.concurrent.atomic.AtomicLong();
            long sentMicros = FirstTokenHops.nowMicros();
            long t0 = System.nanoTime();
            producer.send(new ProducerRecord<>(Topics.PROMPTS, id, json(id, workload.get(i), maxTokens, true)),
                    (m, e) -> acked.set(FirstTokenHops.nowMicros()));
            double first = -1;
            boolean done = false;
            while (!done) {
                for (ConsumerRecord<String, String> r : streams.poll(Duration.ofMillis(1))) {
                    if (!id.equals(r.key())) {
                        continue;
                    }
                    if (r.topic().equals(Topics.TOKENS) && first < 0) {
                        first = (System.nanoTime() - t0) / 1e6;
                        breakdown.client(id, new FirstTokenBreakdown.ClientTimes(sentMicros, acked.get(),
                                FirstTokenHops.nowMicros()));
                    } else if (r.topic().equals(Topics.COMPLETIONS)) {
                        done = true;
                        completion.add((System.nanoTime() - t0) / 1e6);
                    }
                }
            }
            ttft.add(first);
        }
        return new Latencies(ttft, completion);
    }

    /** {@code key=value} items as a map, in key order; items without {@code =} are ignored. */
    private static Map<String, String> keyValues(String[] items) {
        Map<String, String> out = new TreeMap<>();
        for (String kv : items) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                out.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        return out;
    }

    private static String json(String id, int[] tokens, int maxTokens, boolean stream) {
        return "{\"id\":\"" + id + "\",\"prompt_token_ids\":" + Arrays.toString(tokens).replace(" ", "")
                + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":" + stream + "}";
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double pct(List<Double> values, int p) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }
}
