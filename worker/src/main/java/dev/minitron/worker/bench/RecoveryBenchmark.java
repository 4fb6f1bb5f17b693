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
 * <pre>./minitron bench-delivery recovery [--trials 3] [--session-timeout-ms 6000] [--rate 20]
 *     [--guarantee exactly-once|at-least-once] [--restart-victim true] [--out FILE]</pre>
 */
final class RecoveryBenchmark {

    private RecoveryBenchmark() {
    }

    /**
     * @param firstTokenMs      kill → the survivor's first token event on an orphaned partition (record timestamp)
     * @param firstCompletionMs kill → the first completion of an orphaned partition seen by a read_committed reader
     * @param stallMs           kill → the moment every completions partition has shown a read_committed reader
     *                          a completion produced after the kill: how long a dead worker's open transaction
     *                          held readers back (exactly-once), or just the load's gaps
     */
    record Trial(Set<Integer> orphaned, long firstTokenMs, long firstCompletionMs, long stallMs) {
    }

    static String run(Map<String, String> opts) throws Exception {
        int trials = Integer.parseInt(opts.getOrDefault("trials", "3"));
        String sessionTimeout = opts.getOrDefault("session-timeout-ms", "6000");
        int rate = Integer.parseInt(opts.getOrDefault("rate", "20"));
        String guarantee = opts.getOrDefault("guarantee", "exactly-once");
        boolean restart = Boolean.parseBoolean(opts.getOrDefault("restart-victim", "false"));
        int partitions = 4;
        Map<String, String> settings = Map.of("kafka.session.timeout.ms", sessionTimeout,
                "kafka.heartbeat.interval.ms", "1000", "minitron.delivery.guarantee", guarantee);
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
                    long settle = System.nanoTime() + 25_000_000_000L;   // a loaded machine rebalances slowly
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
                    if (restart) {   // same name, so the same transactional.id: it aborts its predecessor's transaction
                        Thread.ofVirtual().start(() -> {
                            try {
                                fleet.startWorker(victim.name(), settings, List.of("-Xmx512m"));
                            } catch (Exception e) {
                                System.err.println("restart failed: " + e);
                            }
                        });
                    }
                    long firstToken = -1;
                    long firstCompletion = -1;
                    Set<Integer> unstalled = new HashSet<>();
                    long stall = -1;
                    long deadline = System.nanoTime() + 120_000_000_000L;
                    while ((firstToken < 0 || firstCompletion < 0 || stall < 0) && System.nanoTime() < deadline) {
                        for (ConsumerRecord<String, String> r : streams.poll(Duration.ofMillis(20))) {
                            Integer p = partitionOf.get(r.key());
                            if (p == null || r.timestamp() <= killedAt) {
                                continue;
                            }
                            long seen = System.currentTimeMillis() - killedAt;
                            if (r.topic().equals(Topics.COMPLETIONS)) {
                                unstalled.add(r.partition());
                                if (stall < 0 && unstalled.size() == partitions) {
                                    stall = seen;
                                }
                            }
                            if (!orphaned.contains(p)) {
                                continue;
                            }
                            if (r.topic().equals(Topics.TOKENS) && firstToken < 0) {
                                firstToken = r.timestamp() - killedAt;
                            } else if (r.topic().equals(Topics.COMPLETIONS) && firstCompletion < 0) {
                                firstCompletion = seen;
                            }
                        }
                    }
                    System.out.printf("trial %d: orphaned %s, first token after %d ms, first completion visible after %d ms,"
                            + " every completions partition moving again after %d ms%n", t, orphaned, firstToken,
                            firstCompletion, stall);
                    results.add(new Trial(orphaned, firstToken, firstCompletion, stall));
                }
            } finally {
                stop.set(true);
                load.join();
            }
        }
        StringBuilder rows = new StringBuilder();
        for (int t = 0; t < results.size(); t++) {
            Trial r = results.get(t);
            rows.append("| %d | %s | %d | %d | %d |%n".formatted(t + 1, r.orphaned(), r.firstTokenMs(), r.firstCompletionMs(),
                    r.stallMs()));
        }
        List<Double> completion = results.stream().map(r -> (double) r.firstCompletionMs()).toList();
        List<Double> stall = results.stream().map(r -> (double) r.stallMs()).toList();
        return """
                ### Recovery after kill -9 — %s, two workers, session.timeout.ms %s, heartbeat 1 s, %d prompts/s%s

                Time from the SIGKILL until the survivor's first token event for a prompt of a partition the killed
                worker owned (its record timestamp), until a read_committed reader receives the first completion
                of such a prompt, and until every completions partition has shown that reader a completion
                produced after the kill (a dead worker's open transaction holds its partitions back until it is
                aborted).

                | trial | orphaned partitions | first token (ms) | first completion visible (ms) | all completions partitions moving (ms) |
                |---|---|---|---|---|
                %s
                First completion of an orphaned prompt visible: p50 %.0f ms, p99 %.0f ms; every partition moving: p50 %.0f ms, p99 %.0f ms (%d trials).
                """.formatted(guarantee, sessionTimeout, rate, restart ? ", the killed worker restarted at once with its id" : "",
                rows, KafkaVsDirectBenchmark.pct(completion, 50), KafkaVsDirectBenchmark.pct(completion, 99),
                KafkaVsDirectBenchmark.pct(stall, 50), KafkaVsDirectBenchmark.pct(stall, 99), results.size());
    }
}
