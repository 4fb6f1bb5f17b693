package dev.minitron.worker.chaos;

import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tokenizer.Tokenizers;
import dev.minitron.worker.dev.ChaosBroker;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.ReferenceTexts;
import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import dev.minitron.worker.testing.Scrape;
import dev.minitron.worker.testing.TopicSet;
import dev.minitron.worker.testing.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * One chaos run, start to verdict: a KRaft broker with one proxied listener per worker slot, N
 * worker processes (the packaged application), a steady prompt load, faults at random times for
 * {@link ChaosOptions#duration()}, then every fault healed and a drain, then the independent checks:
 * <ol>
 *   <li>the delivery contract over the topics ({@link AnswerChecker}, with redelivery allowed): every
 *       prompt record has one terminal answer, attempts and token sequences are consistent;</li>
 *   <li>committed offsets never passed an unanswered prompt (checked every sample period, and at the end),
 *       and at the end are at the end of every prompts partition;</li>
 *   <li>every completion that ran to its length has exactly the fault-free greedy text, and every error
 *       completion is an injected engine fault;</li>
 *   <li>each worker's KV cache and request gauges return to zero at idle (no leaked blocks);</li>
 *   <li>no prompt text, completion text or secret in any worker's log, exported span or metric scrape.</li>
 * </ol>
 */
public final class ChaosRun {

    static final int PARTITIONS = 6;
    static final String SECRET = "chaos-jaas-secret-6f1e";
    private static final Duration TICK = Duration.ofMillis(250);
    private static final Duration RESTART_DELAY = Duration.ofSeconds(1);

    private final ChaosOptions options;
    private final Path dir;
    private final List<String> events = new ArrayList<>();
    private final long startedNanos = System.nanoTime();

    public ChaosRun(ChaosOptions options, Path dir) {
        this.options = options;
        this.dir = dir;
    }

    private void event(String what) {
        String line = "%7.1f s  %s".formatted((System.nanoTime() - startedNanos) / 1e9, what);
        events.add(line);
        System.out.println("[chaos] " + line);
    }

    public ChaosResult run() throws Exception {
        if (Files.exists(dir)) {   // an earlier run of this seed: start from nothing
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(dir);
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 7);
        List<Greedy> catalog = PromptLoad.catalog(Tokenizers.load(model), 16, 8, 400, options.seed());
        Map<Greedy, String> reference = ReferenceTexts.compute(model, catalog);
        event("fault-free reference texts computed for " + catalog.size() + " prompts");

        LeakScan scan = new LeakScan().forbid(PromptLoad.MARKER, "prompt text").forbid(SECRET, "SASL secret")
                .forbidCompletions(new HashSet<>(reference.values()));
        List<LoopbackProxy> proxies = new ArrayList<>();
        List<ChaosBroker.SlotListener> listeners = new ArrayList<>();
        for (int i = 0; i < options.workers(); i++) {
            int port = ChaosBroker.freePort();
            LoopbackProxy proxy = LoopbackProxy.start("slot" + i, "localhost", port);
            proxies.add(proxy);
            listeners.add(new ChaosBroker.SlotListener(port, proxy.port()));
        }
        List<WorkerSlot> slots = new ArrayList<>();
        // If this JVM dies (a timeout, Ctrl-C on ./minitron chaos), no worker may outlive it, frozen or not.
        Thread reaper = new Thread(() -> slots.forEach(WorkerSlot::destroyAll), "chaos-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        FleetSampler sampler = new FleetSampler();
        try (AutoCloseable closeProxies = () -> proxies.forEach(LoopbackProxy::close);
             ChaosBroker broker = ChaosBroker.start(dir.resolve("kafka"), listeners).awaitReady(Duration.ofSeconds(120));
             SpanSink spans = SpanSink.start(scan);
             AutoCloseable stopWorkers = () -> {
                 try {
                     stopAll(slots);
                 } finally {
                     slots.forEach(WorkerSlot::destroyAll);
                     Runtime.getRuntime().removeShutdownHook(reaper);
                 }
             }) {
            TopicSet topics = TopicSet.create(broker.bootstrapServers(), "chaos", PARTITIONS);
            Map<String, String> settings = workerSettings(topics, spans.endpoint());
            // As the Helm chart passes credentials: an environment variable from a Secret. The
            // listeners are plaintext, so the client ignores it, but it must not reach a log either.
            Map<String, String> env = Map.of("KAFKA_SASL_JAAS_CONFIG",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"w\" password=\"" + SECRET + "\";");
            Path logs = Files.createDirectories(dir.resolve("logs"));
            for (int i = 0; i < options.workers(); i++) {
                WorkerSlot slot = new WorkerSlot(i, proxies.get(i), model, logs, settings, env);
                slot.start();
                slots.add(slot);
            }
            superviseUntil(slots, () -> slots.stream().allMatch(WorkerSlot::healthy), Duration.ofSeconds(240), "start");
            event("fleet ready: " + slots.size() + " workers");

            ChaosResult.Builder result = new ChaosResult.Builder(options);
            try (AnswerChecker checker = (options.exactlyOnce() ? topics.committedChecker(broker.bootstrapServers())
                    : topics.checker(broker.bootstrapServers())).expectRedelivery(true).expectExactlyOnce(options.exactlyOnce());
                 PromptLoad load = new PromptLoad(broker.bootstrapServers(), topics.prompts(), catalog, options.rate(),
                         options.seed())) {
                var injector = new FaultInjector(slots, broker, List.copyOf(options.faults()), options.faultEvery(),
                        options.seed() * 31 + 1, this::event);
                long loadStart = System.currentTimeMillis();
                load.start();
                long end = System.nanoTime() + options.duration().toNanos();
                long nextSample = System.nanoTime();
                while (System.nanoTime() < end) {
                    tick(slots);
                    injector.tick();
                    if (System.nanoTime() >= nextSample) {
                        nextSample += options.sampleEvery().toNanos();
                        sampler.sample(System.currentTimeMillis() - loadStart, slots, scan);
                        result.offsetChecks++;
                        try {
                            checker.checkCommittedOffsets(topics.group());
                        } catch (AssertionError breach) {
                            result.breaches.add("during the run: " + breach.getMessage());
                        }
                    }
                }
                load.stop();
                long loadEnd = System.currentTimeMillis();
                injector.healAll();
                event("load stopped after " + load.records() + " records; faults healed; draining");
                superviseUntil(slots, () -> slots.stream().allMatch(WorkerSlot::healthy), Duration.ofSeconds(240), "recover");
                drain(slots, checker, topics.group());
                event("drained: every prompt answered, offsets committed to the end");
                result.faults(injector.injected()).load(load, loadStart, loadEnd);
                judge(checker, topics.group(), load, reference, result);
                idleChecks(slots, result);
                sampler.sample(System.currentTimeMillis() - loadStart, slots, scan);
            }
            stopAll(slots);
            for (WorkerSlot slot : slots) {
                for (WorkerProcess p : slot.history()) {
                    String log = Files.readString(p.logFile());
                    scan.scan("worker logs", log);
                    result.leaseLapses += (int) log.lines().filter(l -> l.contains("publication lease lapsed")).count();
                    result.workerProcesses++;
                }
            }
            scan.scan("broker log", Files.readString(broker.logFile()));
            if (spans.spans() == 0 || !scan.bytesScanned().containsKey("metrics")) {
                result.breaches.add("the leak scan saw " + spans.spans() + " exported spans and "
                        + scan.bytesScanned().getOrDefault("metrics", 0L) + " characters of metrics: nothing to judge");
            }
            return result.events(events).samples(sampler.samples()).spans(spans.spans(), spans.bytes())
                    .scan(scan).build();
        }
    }

    private Map<String, String> workerSettings(TopicSet topics, String zipkin) {
        Map<String, String> s = new HashMap<>(topics.workerSettings());
        s.put("kafka.session.timeout.ms", "6000");
        s.put("kafka.heartbeat.interval.ms", "1000");
        s.put("minitron.engine.kv-cache-bytes", Long.toString(options.kvCacheBytes()));
        s.put("minitron.worker.shutdown-grace", "5s");
        s.put("minitron.delivery.guarantee", options.guarantee());
        s.put("minitron.tracing.zipkin-endpoint", zipkin);
        if (options.stepFailureRate() > 0 || options.deathRate() > 0) {
            s.put("minitron.engine.fault-injection.step-failure-rate", Double.toString(options.stepFailureRate()));
            s.put("minitron.engine.fault-injection.death-rate", Double.toString(options.deathRate()));
            s.put("minitron.engine.fault-injection.seed", Long.toString(options.seed()));
        }
        return s;
    }

    private void tick(List<WorkerSlot> slots) throws Exception {
        for (WorkerSlot slot : slots) {
            String what = slot.supervise(RESTART_DELAY);
            if (what != null) {
                event(what);
            }
        }
        Thread.sleep(TICK.toMillis());
    }

    private void superviseUntil(List<WorkerSlot> slots, java.util.function.BooleanSupplier done, Duration timeout,
            String phase) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(phase + ": workers not healthy within " + timeout + "; logs in " + dir);
            }
            tick(slots);
        }
    }

    /** Keeps supervising (a worker may still die) until every prompt is answered and committed. */
    private void drain(List<WorkerSlot> slots, AnswerChecker checker, String group) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (true) {
            checker.catchUp();
            if (checker.unanswered().isEmpty() && checker.committedToEnd(group)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                checker.awaitAllAnswered(Duration.ZERO);   // fails, naming what is unanswered
                throw new AssertionError("every prompt answered, but the group's offsets are not at the end after 300 s");
            }
            tick(slots);
        }
    }

    private void judge(AnswerChecker checker, String group, PromptLoad load, Map<Greedy, String> reference,
            ChaosResult.Builder result) throws Exception {
        try {
            checker.verify();
        } catch (AssertionError breach) {
            result.breaches.add(breach.getMessage());
        }
        try {
            checker.checkCommittedOffsets(group);
        } catch (AssertionError breach) {
            result.breaches.add("at the end: " + breach.getMessage());
        }
        result.judgeAnswers(checker, load.sent(), reference);
    }

    /** With no load, every worker's engine must hold no request and no KV block. */
    private void idleChecks(List<WorkerSlot> slots, ChaosResult.Builder result) throws Exception {
        for (WorkerSlot slot : slots) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            double kv;
            double running;
            double waiting;
            do {
                Scrape s = Scrape.of(slot.metrics());
                kv = s.sum("minitron:kv_cache_usage_perc");
                running = s.sum("minitron:num_requests_running");
                waiting = s.sum("minitron:num_requests_waiting");
                if (kv == 0 && running == 0 && waiting == 0) {
                    break;
                }
                Thread.sleep(500);
            } while (System.nanoTime() < deadline);
            String name = slot.current().name();
            result.idle.add("%s: KV usage %.3f, running %.0f, waiting %.0f".formatted(name, kv, running, waiting));
            if (kv != 0 || running != 0 || waiting != 0) {
                result.breaches.add(name + " is not idle 30 s after the drain: KV usage " + kv + ", running " + running
                        + ", waiting " + waiting + " (leaked KV blocks or requests)");
            }
        }
    }

    private static void stopAll(List<WorkerSlot> slots) throws Exception {
        for (WorkerSlot slot : slots) {
            WorkerProcess p = slot.current();
            if (p != null && p.isAlive()) {
                if (slot.suspended()) {
                    slot.resume();
                }
                p.close();
            }
        }
    }
}
