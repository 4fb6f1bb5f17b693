package dev.minitron.worker.bench;

import dev.minitron.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A worker in front of a large backlog: {@code --prompts} (100,000) prompts are produced before the
 * worker starts; while it works through them its heap after each GC (from its GC log), its resident
 * set and the remaining backlog are sampled. A flat heap means the backlog stays in Kafka.
 *
 * <pre>./minitron bench-delivery backlog [--prompts 100000] [--max-tokens 2] [--seconds 180] [--out FILE]</pre>
 */
final class BacklogBenchmark {

    private static final Pattern GC = Pattern.compile("^\\[([0-9.]+)s].*Pause.* (\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    private BacklogBenchmark() {
    }

    record Sample(double seconds, long answered, double heapAfterGcMiB, long rssMiB, int gcs) {
    }

    static String run(Map<String, String> opts) throws Exception {
        int prompts = Integer.parseInt(opts.getOrDefault("prompts", "100000"));
        int maxTokens = Integer.parseInt(opts.getOrDefault("max-tokens", "2"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "180"));
        String heap = opts.getOrDefault("heap", "512m");
        Random random = new Random(7);
        try (BenchFleet fleet = BenchFleet.start(4)) {
            long t0 = System.nanoTime();
            try (var producer = fleet.producer()) {
                for (int i = 0; i < prompts; i++) {
                    String id = "backlog-" + i;
                    int[] ids = random.ints(16, 3, 1000).toArray();
                    producer.send(new ProducerRecord<>(Topics.PROMPTS, id, "{\"id\":\"" + id + "\",\"prompt_token_ids\":"
                            + java.util.Arrays.toString(ids).replace(" ", "") + ",\"max_tokens\":" + maxTokens
                            + ",\"temperature\":0,\"ignore_eos\":true}"));
                }
            }
            double produceSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("produced %d prompts in %.1f s%n", prompts, produceSeconds);
            Path gcLog = fleet.dir.resolve("gc.log");
            List<Sample> samples = new ArrayList<>();
            try (var completions = fleet.tailing(Topics.COMPLETIONS)) {
                var worker = fleet.startWorker("backlog-worker", Map.of(),
                        List.of("-Xmx" + heap, "-Xlog:gc:file=" + gcLog + ":uptime"));
                long start = System.nanoTime();
                long answered = 0;
                long nextSample = start;
                while (answered < prompts && System.nanoTime() - start < seconds * 1_000_000_000L) {
                    for (ConsumerRecord<String, String> r : completions.poll(Duration.ofMillis(100))) {
                        if (r.key() != null && r.key().startsWith("backlog-")) {
                            answered++;
                        }
                    }
                    if (System.nanoTime() >= nextSample) {
                        samples.add(sample((System.nanoTime() - start) / 1e9, answered, gcLog, worker.pid()));
                        nextSample += 5_000_000_000L;
                    }
                }
                samples.add(sample((System.nanoTime() - start) / 1e9, answered, gcLog, worker.pid()));
            }
            return report(prompts, maxTokens, heap, produceSeconds, samples);
        }
    }

    private static Sample sample(double seconds, long answered, Path gcLog, long pid) throws Exception {
        double lastAfter = -1;
        int gcs = 0;
        if (Files.exists(gcLog)) {
            for (String line : Files.readAllLines(gcLog)) {
                Matcher m = GC.matcher(line);
                if (m.find()) {
                    lastAfter = mib(Long.parseLong(m.group(4)), m.group(5));
                    gcs++;
                }
            }
        }
        long rss = -1;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        System.out.printf("t=%.0fs answered=%d heapAfterGc=%.1fMiB rss=%dMiB gcs=%d%n", seconds, answered, lastAfter, rss, gcs);
        return new Sample(seconds, answered, lastAfter, rss, gcs);
    }

    private static double mib(long value, String unit) {
        return switch (unit) {
            case "K" -> value / 1024.0;
            case "G" -> value * 1024.0;
            default -> value;
        };
    }

    private static String report(int prompts, int maxTokens, String heap, double produceSeconds, List<Sample> samples) {
        StringBuilder rows = new StringBuilder();
        for (Sample s : samples) {
            rows.append("| %.0f | %d | %d | %.1f | %d | %d |%n".formatted(s.seconds(), s.answered(),
                    prompts - s.answered(), s.heapAfterGcMiB(), s.rssMiB(), s.gcs()));
        }
        List<Sample> withGc = samples.stream().filter(s -> s.heapAfterGcMiB() >= 0).toList();
        int q = Math.max(1, withGc.size() / 4);
        double firstQuarter = withGc.subList(0, q).stream().mapToDouble(Sample::heapAfterGcMiB).max().orElse(-1);
        double lastQuarter = withGc.subList(withGc.size() - q, withGc.size()).stream()
                .mapToDouble(Sample::heapAfterGcMiB).max().orElse(-1);
        double max = withGc.stream().mapToDouble(Sample::heapAfterGcMiB).max().orElse(-1);
        return """
                ### Backlog — %d prompts waiting before the worker starts (16 tokens, max_tokens %d), worker -Xmx%s

                Produced in %.1f s. One worker with default settings (max-in-flight 128) then works through
                them; every 5 s: answered so far, backlog left in Kafka, the worker's heap after its latest GC
                (G1, from `-Xlog:gc`), its resident set, GCs so far.

                | s | answered | backlog left | heap after GC (MiB) | RSS (MiB) | GCs |
                |---|---|---|---|---|---|
                %s
                Heap after GC: highest in the first quarter of the samples %.1f MiB, in the last quarter
                %.1f MiB, highest overall %.1f MiB.
                """.formatted(prompts, maxTokens, heap, produceSeconds, rows, firstQuarter, lastQuarter, max);
    }
}
