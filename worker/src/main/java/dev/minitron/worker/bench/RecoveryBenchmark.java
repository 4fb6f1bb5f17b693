package dev.minitron.worker.bench;

import dev.minitron.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Recovery after {@code kill -9}: two workers share the prompts partitions under a steady load; one
 * is killed with SIGKILL; the time from the kill until the survivor writes the first token event
 * (record timestamp) for a prompt of a partition the dead worker owned, and until its first
 * completion there. Dominated by the group's session timeout ({@code --session-timeout-ms}), after
 * which the cooperative rebalance hands the orphaned partitions over.
 *
 * <pre>./minitron bench-delivery recovery [--trials 3] [--session-timeout-ms 6000] [--rate 20] [--out FILE]</pre>
 */
final class RecoveryBenchmark {

    private RecoveryBenchmark() {
    }

    record Trial(Set<Integer> orphaned, long firstTokenMs, long firstCompletionMs) {
    }

    static String run(Map<String, String> opts) throws Exception {
        int trials = Integer.parseInt(opts.getOrDefault("trials", "3"));
        String sessionTimeout = opts.getOrDefault("session-timeout-ms", "6000");
        int rate = Integer.parseInt(opts.getOrDefault("rate", "20"));
        int partitions = 4;
        Map<String, String> settings = Map.of("kafka.session.timeout.ms", sessionTimeout,
                "kafka.heartbeat.interval.ms", "1000");
        List<Trial> results = new ArrayList<>();
        try (BenchFleet fleet = BenchFleet.start(partitions)) {
            fleet.startWorker("survivor", settings, List.of("-Xmx512m"));
            Map<String, Integer> partitionOf = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger n = new AtomicInteger();
            Thread load = Thread.ofPlatform().name("recovery-load").start(() -> {
                try (var producer = fleet.producer()) {
                    while (!stop.get()) {
                        int i = n.getAndIncrement();
                        String id = "recovery-" + i;
                        partitionOf.put(id, i % partitions);
                        producer.send(new ProducerRecord<>(Topics.PROMPTS, i % partitions, id, "{\"id\":\"" + id
                                + "\",\"prompt\":\"Recovery prompt " + i + "\",\"max_tokens\":32,\"temperature\":0,\"ignore_eos\":true}"));
                        Thread.sleep(1000 / rate);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try (var streams = fleet.tailing(Topics.TOKENS, Topics.COMPLETIONS)) {
                for (int t = 0; t < trials; t++) {
                    var victim = fleet.startWorker("victim-" + t, settings, List.of("-Xmx512m"));
                    // Let the group settle and the victim answer on its partitions for a while.
                    Map<Integer, String> lastWorker = new HashMap<>();
                    long settle = System.nanoTime() + 12_000_000_000L;
                    while (System.nanoTime() < settle) {
                        for (ConsumerRecord<String, String> r : streams.poll(Duration.ofMillis(50))) {
                            if (r.topic().equals(Topics.COMPLETIONS) && partitionOf.containsKey(r.key())) {
                                String worker = r.value().replaceAll(".*\"worker\":\"([^\"]*)\".*", "$1");
                                lastWorker.put(partitionOf.get(r.key()), worker);
                            }
                        }
                    }
                    Set<Integer> orphaned = new HashSet<>();
                    lastWorker.forEach((p, w) -> {
                        if (w.equals(victim.name())) {
                            orphaned.add(p);
                        }
                    });
                    if (orphaned.isEmpty()) {
                        throw new IllegalStateException("the victim owned no partition: " + lastWorker);
                    }
                    long killedAt = System.currentTimeMillis();
                    victim.killHard();
                    long firstToken = -1;
                    long firstCompletion = -1;
                    long deadline = System.nanoTime() + 120_000_000_000L;
                    while ((firstToken < 0 || firstCompletion < 0) && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, String> r : streams.poll(Duration.ofMillis(20))) {
                            Integer p = partitionOf.get(r.key());
                            if (p == null || !orphaned.contains(p) || r.timestamp() <= killedAt) {
                                continue;
                            }
                            if (r.topic().equals(Topics.TOKENS) && firstToken < 0) {
                                firstToken = r.timestamp() - killedAt;
                            } else if (r.topic().equals(Topics.COMPLETIONS) && firstCompletion < 0) {
                                firstCompletion = r.timestamp() - killedAt;
                            }
                        }
                    }
                    System.out.printf("trial %d: orphaned %s, first token after %d ms, first completion after %d ms%n",
                            t, orphaned, firstToken, firstCompletion);
                    results.add(new Trial(orphaned, firstToken, firstCompletion));
                }
            } finally {
                stop.set(true);
                load.join();
            }
        }
        StringBuilder rows = new StringBuilder();
        for (int t = 0; t < results.size(); t++) {
            Trial r = results.get(t);
            rows.append("| %d | %s | %d | %d |%n".formatted(t + 1, r.orphaned(), r.firstTokenMs(), r.firstCompletionMs()));
        }
        return """
                ### Recovery after kill -9 — two workers, session.timeout.ms %s, heartbeat 1 s, %d prompts/s

                Time from the SIGKILL until the survivor's first token event (its record timestamp) and first
                completion for a prompt of a partition the killed worker owned.

                | trial | orphaned partitions | first token (ms) | first completion (ms) |
                |---|---|---|---|
                %s
                """.formatted(sessionTimeout, rate, rows);
    }
}
