package dev.minitron.worker.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** What a chaos run saw: its figures and every breach; {@link ChaosReport} writes it up. */
public record ChaosResult(ChaosOptions options, Map<Fault, Integer> faults, long records, long malformed, long loadMillis,
        long servedMillis,
        int completions, Map<String, Integer> finishReasons, int engineErrors, int redelivered, int duplicates,
        int lateWrites, int cutStreams,
        int errorEvents, long completionTokens, long[] ttftMillis, long[] e2eMillis, long[] cleanE2eMillis,
        long[] steadyTtftMillis, long[] steadyE2eMillis,
        int offsetChecks, int workerProcesses, int leaseLapses, List<String> idle, List<String> breaches, List<String> events,
        List<FleetSampler.Sample> samples, long spans, long spanBytes, Map<String, Long> scanned,
        List<LeakScan.Finding> leaks) {

    /** The run written up in Markdown, with these facts about the machine. */
    public String render(String machine) {
        return ChaosReport.render(this, machine);
    }

    public boolean ok() {
        return breaches.isEmpty() && leaks.isEmpty();
    }

    double tokensPerSecond() {
        return servedMillis <= 0 ? 0 : completionTokens * 1000.0 / servedMillis;
    }

    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    /** Latencies of prompts produced this long after the load started count as steady state (JIT warm, queues settled). */
    static final long STEADY_AFTER_MILLIS = 60_000;

    static final class Builder {
        private final ChaosOptions options;
        private Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
        private long records;
        private long malformed;
        private long loadMillis;
        private long loadStartMillis;
        private long lastAnswerMillis;
        private int completions;
        private final Map<String, Integer> finishReasons = new java.util.TreeMap<>();
        private int engineErrors;
        private int redelivered;
        private int duplicates;
        private int lateWrites;
        private int cutStreams;
        private int errorEvents;
        private long completionTokens;
        private long[] ttft = new long[0];
        private long[] e2e = new long[0];
        private long[] cleanE2e = new long[0];
        private long[] steadyTtft = new long[0];
        private long[] steadyE2e = new long[0];
        int offsetChecks;
        int workerProcesses;
        int leaseLapses;
        final List<String> idle = new ArrayList<>();
        final List<String> breaches = new ArrayList<>();
        private List<String> events = List.of();
        private List<FleetSampler.Sample> samples = List.of();
        private long spans;
        private long spanBytes;
        private LeakScan scan = new LeakScan();

        Builder(ChaosOptions options) {
            this.options = options;
        }

        Builder faults(Map<Fault, Integer> injected) {
            faults = injected;
            return this;
        }

        Builder load(PromptLoad load, long startMillis, long endMillis) {
            records = load.records();
            malformed = load.malformed();
            loadMillis = endMillis - startMillis;
            loadStartMillis = startMillis;
            return this;
        }

        /**
         * Each request's final answer against the fault-free run: a completion that ran to its length
         * must have the reference text; an error completion must be an injected engine failure.
         * Latencies are from the prompt record's timestamp to the first token event (any attempt) and
         * to the final completion, as a client would see them.
         */
        void judgeAnswers(AnswerChecker checker, Map<String, Greedy> sent, Map<Greedy, String> reference) {
            Map<String, Long> producedAt = new java.util.HashMap<>();
            for (AnswerChecker.Prompt p : checker.prompts()) {
                if (p.id() != null) {
                    producedAt.putIfAbsent(p.id(), p.timestamp());
                }
                if (!checker.errors(p.source()).isEmpty()) {
                    errorEvents++;
                }
            }
            List<Long> ttfts = new ArrayList<>();
            List<Long> e2es = new ArrayList<>();
            List<Long> clean = new ArrayList<>();
            List<Long> steadyTtfts = new ArrayList<>();
            List<Long> steadyE2es = new ArrayList<>();
            Map<String, JsonNode> finals = checker.finalCompletions();
            for (var e : sent.entrySet()) {
                String id = e.getKey();
                JsonNode c = finals.get(id);
                if (c == null) {
                    continue;   // the contract check has reported it
                }
                completions++;
                String reason = c.path("finish_reason").asText();
                finishReasons.merge(reason, 1, Integer::sum);
                completionTokens += c.path("usage").path("completion_tokens").asLong();
                String want = reference.get(e.getValue());
                for (JsonNode any : checker.completions(id)) {   // late writes included: they must be right too
                    if (any.path("finish_reason").asText().equals("length") && !want.equals(any.path("text").asText())) {
                        breaches.add(id + " (attempt " + any.path("attempt").asInt() + ", " + any.path("worker").asText()
                                + "): text differs from the fault-free run");
                    }
                }
                boolean injected = options.stepFailureRate() > 0
                        && c.path("error").path("code").asText().equals("internal")
                        && c.path("error").path("message").asText().contains("InjectedFault");
                if (reason.equals("error") && injected) {
                    engineErrors++;
                } else if (!reason.equals("length")) {
                    breaches.add(id + ": unexpected final answer " + reason + " " + c.path("error"));
                }
                if (checker.maxAttempt(id) > 1) {
                    redelivered++;
                }
                if (checker.completions(id).size() > 1) {
                    duplicates++;
                }
                long at = producedAt.getOrDefault(id, -1L);
                var completionEvents = checker.completionEvents(id);
                lastAnswerMillis = Math.max(lastAnswerMillis, completionEvents.getLast().timestamp());
                // to the answer that counts (a late write may come after it)
                long answeredAt = completionEvents.stream().filter(ev -> ev.value() == c).findFirst()
                        .orElse(completionEvents.getLast()).timestamp();
                long done = answeredAt - at;
                boolean steady = at >= loadStartMillis + STEADY_AFTER_MILLIS;
                e2es.add(done);
                if (steady) {
                    steadyE2es.add(done);
                }
                if (checker.maxAttempt(id) == 1) {
                    clean.add(done);
                }
                var first = checker.tokenEvents(id).stream().mapToLong(AnswerChecker.Event::timestamp).min();
                if (first.isPresent()) {
                    ttfts.add(first.getAsLong() - at);
                    if (steady) {
                        steadyTtfts.add(first.getAsLong() - at);
                    }
                }
            }
            lateWrites = checker.lateWrites().size();
            cutStreams = checker.cutStreams().size();
            ttft = sorted(ttfts);
            e2e = sorted(e2es);
            cleanE2e = sorted(clean);
            steadyTtft = sorted(steadyTtfts);
            steadyE2e = sorted(steadyE2es);
        }

        private static long[] sorted(List<Long> values) {
            long[] a = values.stream().mapToLong(Long::longValue).toArray();
            Arrays.sort(a);
            return a;
        }

        Builder events(List<String> value) {
            events = List.copyOf(value);
            return this;
        }

        Builder samples(List<FleetSampler.Sample> value) {
            samples = value;
            return this;
        }

        Builder spans(long count, long bytes) {
            spans = count;
            spanBytes = bytes;
            return this;
        }

        Builder scan(LeakScan value) {
            scan = value;
            return this;
        }

        ChaosResult build() {
            return new ChaosResult(options, faults, records, malformed, loadMillis, lastAnswerMillis - loadStartMillis,
                    completions, finishReasons,
                    engineErrors, redelivered, duplicates, lateWrites, cutStreams, errorEvents, completionTokens, ttft, e2e, cleanE2e, steadyTtft, steadyE2e,
                    offsetChecks, workerProcesses, leaseLapses, List.copyOf(idle), List.copyOf(breaches), events, samples, spans,
                    spanBytes, scan.bytesScanned(), scan.findings());
        }
    }
}
