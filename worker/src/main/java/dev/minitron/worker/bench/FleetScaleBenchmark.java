package dev.minitron.worker.bench;

import dev.minitron.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Fleet scale: many workers on one broker, the model replaced by the {@code simulated} device
 * (fixed-time steps, no arithmetic), so what limits the aggregate rate is the delivery path, the
 * broker and its coordinators — or this machine. One KRaft broker, a {@code --partitions} (32)
 * prompts topic (the other contract topics alike); for each guarantee, 1, 2, 4, 8, 16 workers
 * ({@code --workers}, started incrementally) work through a backlog that a load thread keeps above
 * what they can hold in flight. After each step up and {@code --warmup} seconds, a window of
 * {@code --seconds} measures:
 * <ul>
 * <li>answers/s: completion records written in the window (high-watermark range of every
 * completions partition, counted by a read_committed reader), against N × the one-worker rate;</li>
 * <li>transactions/s: transaction markers on {@code __consumer_offsets} (every exactly-once
 * transaction commits its prompts' offsets, so each writes exactly one marker there: offsets
 * advanced minus data records read), and offset-commit records/s there (the group coordinator's
 * writes, in both modes); markers on the completions partitions (the transaction coordinator
 * writes one per partition a transaction touched);</li>
 * <li>CPU seconds per second of the broker JVM, of all workers, of this benchmark JVM, and the
 * whole machine's busy fraction (/proc/stat, other users included) and load average.</li>
 * </ul>
 *
 * <pre>./minitron bench-delivery fleet-scale [--workers 1,2,4,8,16] [--guarantees exactly-once,at-least-once]
 *     [--partitions 32] [--step-time 40ms] [--token-time 0ms] [--max-num-seqs 16] [--max-tokens 16]
 *     [--warmup 20] [--seconds 30] [--heap 192m] [--jvm "FLAGS"] [--ready-timeout 360] [--out FILE]</pre>
 */
final class FleetScaleBenchmark {

    private static final String OFFSETS_TOPIC = "__consumer_offsets";
    private static final Pattern TXN_COMMIT_NS = Pattern.compile(
            "(?m)^kafka_producer_txn_commit_time_ns_total(?:\\{[^}]*})? ([0-9.eE+-]+)$");

    private FleetScaleBenchmark() {
    }

    /** One measured window. */
    record Row(String guarantee, int workers, double seconds, long answers, long transactions, long offsetRecords,
               long completionMarkers, double brokerCpu, double workerCpu, double benchCpu, double machineBusy,
               String load, double txnCommitSeconds) {
        double rate() {
            return answers / seconds;
        }
    }

    static String run(Map<String, String> opts) throws Exception {
        int[] counts = Arrays.stream(opts.getOrDefault("workers", "1,2,4,8,16").split(",")).mapToInt(Integer::parseInt).toArray();
        List<String> guarantees = List.of(opts.getOrDefault("guarantees", "exactly-once,at-least-once").split(","));
        int partitions = Integer.parseInt(opts.getOrDefault("partitions", "32"));
        String stepTime = opts.getOrDefault("step-time", "40ms");
        String tokenTime = opts.getOrDefault("token-time", "0ms");
        int maxNumSeqs = Integer.parseInt(opts.getOrDefault("max-num-seqs", "16"));
        int maxTokens = Integer.parseInt(opts.getOrDefault("max-tokens", "16"));
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "20"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "30"));
        String heap = opts.getOrDefault("heap", "192m");
        // Small JVMs, so that 16 fit beside the broker: C1 only (C2 compiling 16 Quarkus start-ups at once
        // is most of their CPU), one GC thread, one "processor" for the pools' sizes.
        List<String> jvm = List.of(opts.getOrDefault("jvm", "-Xmx" + heap + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
                + " -XX:ActiveProcessorCount=1 -Xss512k -XX:ReservedCodeCacheSize=64m").split(" "));
        String loadBefore = loadAverage();

        List<Row> rows = new ArrayList<>();
        List<String> notReached = new ArrayList<>();
        try (BenchFleet fleet = BenchFleet.start(partitions);
             var completions = fleet.tailing(Topics.COMPLETIONS);
             var probe = probe(fleet.bootstrap());
             var offsets = probe(fleet.bootstrap())) {
            List<TopicPartition> completionParts = new ArrayList<>(completions.assignment());

            AtomicLong answered = new AtomicLong();
            AtomicLong produced = new AtomicLong();
            AtomicLong backlogTarget = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            fleet.readyTimeout = Duration.ofSeconds(Integer.parseInt(opts.getOrDefault("ready-timeout", "360")));
            Thread load = Thread.ofPlatform().name("fleet-load").start(() -> feed(fleet, maxTokens, produced, answered,
                    backlogTarget, stop));
            Reader reader = new Reader(completions, offsets, answered);
            try {
                for (String guarantee : guarantees) {
                    Map<String, String> settings = new HashMap<>(Map.of(
                            "minitron.engine.device", "simulated",
                            "minitron.engine.simulated-step-time", stepTime,
                            "minitron.engine.simulated-token-time", tokenTime,
                            "minitron.engine.max-num-seqs", Integer.toString(maxNumSeqs),
                            "minitron.delivery.guarantee", guarantee,
                            "minitron.status.enabled", "false",
                            "minitron.worker.shutdown-grace", "2s"));
                    List<BenchFleet.Worker> workers = new ArrayList<>();
                    for (int n : counts) {
                        backlogTarget.set(Math.max(2_000, 4L * 128 * n));
                        try {
                            startWorkers(fleet, guarantee, workers, n, settings, jvm);
                        } catch (IllegalStateException e) {
                            notReached.add(guarantee + " N=" + n + ": " + e.getMessage());
                            System.out.println(notReached.getLast());
                            break;
                        }
                        System.out.printf("%s: %d workers ready, warming up %d s%n", guarantee, n, warmup);
                        reader.pollFor(warmup * 1000L);
                        Row row = measure(fleet, reader, probe, completionParts, workers, guarantee, n, seconds);
                        rows.add(row);
                        System.out.printf("%s N=%d: %.1f answers/s, %.1f txn/s, broker %.2f cpu, workers %.2f cpu, machine busy %.0f %%, load %s%n",
                                guarantee, n, row.rate(), row.transactions() / row.seconds(), row.brokerCpu(),
                                row.workerCpu(), 100 * row.machineBusy(), row.load());
                    }
                    fleet.stopWorkers();
                }
            } finally {
                stop.set(true);
                load.join();
            }
        }
        return report(rows, partitions, stepTime, tokenTime, maxNumSeqs, maxTokens, warmup, seconds, jvm, loadBefore,
                loadAverage()) + notReached.stream().map(s -> "\nNot measured: " + s + "\n").reduce("", String::concat);
    }

    /** Keeps {@code produced - answered} near the target: every worker always has prompts waiting. */
    private static void feed(BenchFleet fleet, int maxTokens, AtomicLong produced, AtomicLong answered,
                             AtomicLong target, AtomicBoolean stop) {
        Random random = new Random(17);
        try (var producer = fleet.producer()) {
            while (!stop.get()) {
                if (produced.get() - answered.get() >= target.get()) {
                    Thread.sleep(20);
                    continue;
                }
                for (int i = 0; i < 200; i++) {
                    String id = "fleet-" + produced.getAndIncrement();
                    int[] ids = random.ints(16, 3, 1000).toArray();
                    producer.send(new ProducerRecord<>(Topics.PROMPTS, id, "{\"id\":\"" + id + "\",\"prompt_token_ids\":"
                            + Arrays.toString(ids).replace(" ", "") + ",\"max_tokens\":" + maxTokens
                            + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":false}"));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts workers up to {@code n}, four at a time (each waits for its own readiness). */
    private static void startWorkers(BenchFleet fleet, String guarantee, List<BenchFleet.Worker> workers, int n,
                                     Map<String, String> settings, List<String> jvm) throws Exception {
        while (workers.size() < n) {
            List<Thread> starting = new ArrayList<>();
            List<BenchFleet.Worker> started = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Exception> failed = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = workers.size(); i < Math.min(n, workers.size() + 4); i++) {
                String name = guarantee + "-" + i;
                starting.add(Thread.ofPlatform().name("start-" + name).start(() -> {
                    try {
                        started.add(fleet.startWorker(name, settings, jvm));
                    } catch (Exception e) {
                        failed.add(e);
                    }
                }));
            }
            for (Thread t : starting) {
                t.join();
            }
            if (!failed.isEmpty()) {
                throw failed.getFirst();
            }
            workers.addAll(started);
        }
    }

    private static Row measure(BenchFleet fleet, Reader reader, KafkaConsumer<byte[], byte[]> probe,
                               List<TopicPartition> completionParts, List<BenchFleet.Worker> workers,
                               String guarantee, int n, int seconds) throws Exception {
        List<TopicPartition> offsetParts = reader.offsetPartitions(probe);   // the group exists now
        Map<TopicPartition, Long> c0 = probe.endOffsets(completionParts);
        Map<TopicPartition, Long> o0 = probe.endOffsets(offsetParts);
        double broker0 = ThreadCpu.process(fleet.broker.pid());
        double workers0 = workersCpu(workers);
        double bench0 = benchCpu();
        long[] machine0 = machineTicks();
        double txn0 = txnCommitSeconds(workers);
        long t0 = System.nanoTime();
        reader.pollFor(seconds * 1000L);
        Map<TopicPartition, Long> c1 = probe.endOffsets(completionParts);
        Map<TopicPartition, Long> o1 = probe.endOffsets(offsetParts);
        double window = (System.nanoTime() - t0) / 1e9;
        double broker = ThreadCpu.process(fleet.broker.pid()) - broker0;
        double workerCpu = workersCpu(workers) - workers0;
        double bench = benchCpu() - bench0;
        long[] machine1 = machineTicks();
        double txn = txnCommitSeconds(workers) - txn0;
        String load = loadAverage();
        // Count the data records in the window's offset ranges once the readers have passed them.
        long answers = reader.countInRange(c0, c1);
        long offsetRecords = reader.countInRange(o0, o1);
        reader.forget();
        long completionAdvance = advance(c0, c1);
        long offsetsAdvance = advance(o0, o1);
        System.out.printf("window: completions advanced %d (%d of %d partitions), %d data records; __consumer_offsets advanced %d, %d data records%n",
                completionAdvance, c0.keySet().stream().filter(tp -> c1.get(tp) > c0.get(tp)).count(), c0.size(), answers,
                offsetsAdvance, offsetRecords);
        double busy = (double) (machine1[0] - machine0[0]) / Math.max(1, machine1[1] - machine0[1]);
        return new Row(guarantee, n, window, answers, offsetsAdvance - offsetRecords, offsetRecords,
                completionAdvance - answers, broker / window, workerCpu / window, bench / window, busy, load,
                txn / window);
    }

    private static long advance(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to) {
        return to.entrySet().stream().mapToLong(e -> e.getValue() - from.get(e.getKey())).sum();
    }

    /**
     * Reads the completions (read_committed) and {@code __consumer_offsets} (read_uncommitted, so
     * offset commits of open transactions count too) and remembers which offsets it saw, so that
     * the data records in a window's high-watermark range can be counted afterwards.
     */
    private static final class Reader {
        private final KafkaConsumer<String, String> completions;
        private final KafkaConsumer<byte[], byte[]> offsets;
        private final AtomicLong answered;
        private final Map<TopicPartition, List<Long>> seen = new HashMap<>();

        Reader(KafkaConsumer<String, String> completions, KafkaConsumer<byte[], byte[]> offsets, AtomicLong answered) {
            this.completions = completions;
            this.offsets = offsets;
            this.answered = answered;
        }

        /** Every {@code __consumer_offsets} partition, read from its current end on (assigned on first use). */
        List<TopicPartition> offsetPartitions(KafkaConsumer<byte[], byte[]> probe) {
            if (offsets.assignment().isEmpty()) {
                List<TopicPartition> parts = probe.partitionsFor(OFFSETS_TOPIC).stream()
                        .map(i -> new TopicPartition(OFFSETS_TOPIC, i.partition())).toList();
                offsets.assign(parts);
                offsets.seekToEnd(parts);
                parts.forEach(offsets::position);
            }
            return new ArrayList<>(offsets.assignment());
        }

        /** Drops the offsets seen so far: the next window starts past them. */
        void forget() {
            seen.clear();
        }

        void pollFor(long millis) {
            long end = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < end) {
                pollOnce();
            }
        }

        private void pollOnce() {
            for (ConsumerRecord<String, String> r : completions.poll(Duration.ofMillis(20))) {
                if (r.key() != null && r.key().startsWith("fleet-")) {
                    answered.incrementAndGet();
                }
                note(r);
            }
            if (!offsets.assignment().isEmpty()) {
                for (ConsumerRecord<byte[], byte[]> r : offsets.poll(Duration.ofMillis(5))) {
                    note(r);
                }
            }
        }

        private void note(ConsumerRecord<?, ?> r) {
            seen.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r.offset());
        }

        /** Data records read with offsets in [from, to) of each partition, polling until both readers are past {@code to}. */
        long countInRange(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline && !past(to)) {
                pollOnce();
            }
            long count = 0;
            for (var e : to.entrySet()) {
                long lo = from.get(e.getKey());
                long hi = e.getValue();
                for (long o : seen.getOrDefault(e.getKey(), List.of())) {
                    count += o >= lo && o < hi ? 1 : 0;
                }
            }
            return count;
        }

        private boolean past(Map<TopicPartition, Long> to) {
            for (var e : to.entrySet()) {
                KafkaConsumer<?, ?> c = e.getKey().topic().equals(OFFSETS_TOPIC) ? offsets : completions;
                if (c.position(e.getKey()) < e.getValue()) {
                    return false;
                }
            }
            return true;
        }
    }

    private static KafkaConsumer<byte[], byte[]> probe(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private static double workersCpu(List<BenchFleet.Worker> workers) throws Exception {
        double sum = 0;
        for (var w : workers) {
            sum += ThreadCpu.process(w.pid());
        }
        return sum;
    }

    private static double benchCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    /** Seconds the workers' transactional producers spent in {@code commitTransaction}, from their Prometheus metrics; NaN if absent. */
    private static double txnCommitSeconds(List<BenchFleet.Worker> workers) {
        HttpClient http = HttpClient.newHttpClient();
        double sum = 0;
        boolean any = false;
        for (var w : workers) {
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + w.port() + "/q/metrics"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = TXN_COMMIT_NS.matcher(body);
                while (m.find()) {
                    sum += Double.parseDouble(m.group(1)) / 1e9;
                    any = true;
                }
            } catch (Exception e) {
                // a worker that does not answer adds nothing
            }
        }
        return any ? sum : Double.NaN;
    }

    /** {busy, total} jiffies of the whole machine, every user, from the first line of /proc/stat. */
    private static long[] machineTicks() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
        long total = 0;
        for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);   // idle + iowait
        return new long[] {total - idle, total};
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "?";
        }
    }

    private static String report(List<Row> rows, int partitions, String stepTime, String tokenTime, int maxNumSeqs,
                                 int maxTokens, int warmup, int seconds, List<String> jvm, String loadBefore,
                                 String loadAfter) {
        StringBuilder table = new StringBuilder();
        Map<String, Double> single = new HashMap<>();
        for (Row r : rows) {
            if (r.workers() == 1) {
                single.put(r.guarantee(), r.rate());
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        for (Row r : rows) {
            Double one = single.get(r.guarantee());
            String ideal = one == null ? "—" : "%.1f".formatted(r.workers() * one);
            String eff = one == null ? "—" : "%.0f %%".formatted(100 * r.rate() / (r.workers() * one));
            table.append("| %s | %d | **%.1f** | %s | %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.0f %% | %s | %s | %.0f / %.0f µs |%n"
                    .formatted(r.guarantee(), r.workers(), r.rate(), ideal, eff, r.transactions() / r.seconds(),
                            r.offsetRecords() / r.seconds(), r.completionMarkers() / r.seconds(), r.brokerCpu(),
                            r.workerCpu(), r.benchCpu(), 100 * r.machineBusy(), r.load(),
                            Double.isNaN(r.txnCommitSeconds()) ? "n/a" : "%.0f ms/s".formatted(1000 * r.txnCommitSeconds()),
                            r.answers() == 0 ? 0 : 1e6 * r.brokerCpu() * r.seconds() / r.answers(),
                            r.answers() == 0 ? 0 : 1e6 * r.workerCpu() * r.seconds() / r.answers()));
        }
        return """
                ### Fleet scale — %d-partition prompts topic, device `simulated` (step %s + %s/token), max-num-seqs %d, 16-token prompts, max_tokens %d, stream off

                One KRaft broker (DevBroker), worker JVMs `%s`, status view off, started up to each N in
                turn (the group rebalances), %d s warm-up, then a %d s window. Answers: completion records
                written in the window (high-watermark ranges, counted by a read_committed reader).
                Transactions: markers on `__consumer_offsets` (one per exactly-once transaction); offset
                records: the group coordinator's writes there; completion markers: the transaction
                coordinator's markers on completions partitions. CPU: CPU-seconds per second (%d cores in
                all, shared with other users); machine busy: every process on the machine (/proc/stat).
                Load average before the run: %s; after: %s.

                | guarantee | workers | answers/s | ideal N × 1 worker | efficiency | txn/s | offset records/s | completion markers/s | broker CPU | workers CPU | bench CPU | machine busy | load 1/5/15 | `commitTransaction` time (all workers) | broker / worker CPU per answer |
                |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
                %s""".formatted(partitions, stepTime, tokenTime, maxNumSeqs, maxTokens, String.join(" ", jvm), warmup,
                seconds, cores, loadBefore, loadAfter, table);
    }
}
