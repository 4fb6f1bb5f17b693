package dev.minitron.worker.chaos;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A chaos run written up in Markdown: the settings, what was injected, what was checked, what was seen. */
final class ChaosReport {

    private ChaosReport() {
    }

    static String render(ChaosResult r, String machine) {
        StringBuilder out = new StringBuilder();
        boolean faults = !r.options().faults().isEmpty() || r.options().stepFailureRate() > 0 || r.options().deathRate() > 0;
        out.append("## ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .append(faults ? " — chaos run, " : " — load run (no faults), ")
                .append(r.ok() ? "passed" : "FAILED").append("\n\n");
        out.append("Settings: ").append(r.options().describe()).append(".\n\n").append(machine).append("\n\n");
        out.append("| what | figure |\n|---|---|\n");
        row(out, "faults injected", r.faults().isEmpty() ? "none"
                : r.faults().entrySet().stream().map(e -> e.getKey().label() + " " + e.getValue())
                .collect(Collectors.joining(", ")));
        row(out, "worker processes (starts, incl. restarts)", r.workerProcesses());
        row(out, "prompt records produced", r.records() + " (" + r.malformed() + " malformed on purpose)");
        row(out, "error events (answers to malformed records)", r.errorEvents());
        row(out, "requests with a final completion", r.completions() + " " + r.finishReasons());
        row(out, "of which injected engine failures (`internal`)", r.engineErrors());
        row(out, "redelivered (attempt > 1)", r.redelivered());
        row(out, "with two or more completions (the highest attempt counts)", r.duplicates());
        row(out, "lapses with completions held (a worker not yet sure it still owned its partitions)",
                r.leaseLapses());
        row(out, "late writes: a lower attempt's completion after a higher one's (a fenced worker's)", r.lateWrites());
        row(out, "token streams cut short (a token event not written; the completion has the whole text)",
                r.cutStreams());
        row(out, "completion tokens / s (load start to last answer)", "%.1f".formatted(r.tokensPerSecond()));
        row(out, "TTFT p50 / p99 / max (ms, client-side, any attempt)", latency(r.ttftMillis()));
        row(out, "end-to-end p50 / p99 / max (ms, all)", latency(r.e2eMillis()));
        row(out, "end-to-end p50 / p99 / max (ms, never redelivered)", latency(r.cleanE2eMillis()));
        row(out, "TTFT p50 / p99 / max (ms, prompts produced after the first minute)", latency(r.steadyTtftMillis()));
        row(out, "end-to-end p50 / p99 / max (ms, prompts produced after the first minute)", latency(r.steadyE2eMillis()));
        row(out, "committed-offset checks during the run", r.offsetChecks());
        row(out, "spans exported and scanned", r.spans() + " (" + r.spanBytes() / 1024 + " KiB)");
        row(out, "characters scanned for prompt/completion text and the secret", r.scanned());
        row(out, "leaks found", r.leaks().size());
        row(out, "contract breaches", r.breaches().size());
        out.append("\nIdle after the drain: ").append(String.join("; ", r.idle())).append(".\n");
        if (!r.breaches().isEmpty()) {
            out.append("\nBreaches:\n\n");
            r.breaches().stream().limit(30).forEach(b -> out.append("- ").append(b.replace("\n", "\n  ")).append('\n'));
        }
        if (!r.leaks().isEmpty()) {
            out.append("\nLeaks:\n\n");
            r.leaks().stream().limit(20).forEach(l -> out.append("- ").append(l.what()).append(" in ").append(l.source())
                    .append(": `").append(l.context().replace('`', '\'')).append("`\n"));
        }
        out.append(timeline(r.samples()));
        out.append("\n<details><summary>Fault and recovery events (").append(r.events().size())
                .append(")</summary>\n\n```\n");
        r.events().stream().limit(400).forEach(e -> out.append(e).append('\n'));
        out.append("```\n</details>\n\n");
        return out.toString();
    }

    /** Per sample period, over the whole fleet: memory per worker (max), KV (max), counters (sum). */
    private static String timeline(List<FleetSampler.Sample> samples) {
        if (samples.isEmpty()) {
            return "";
        }
        Map<Long, List<FleetSampler.Sample>> byTime = new LinkedHashMap<>();
        samples.forEach(s -> byTime.computeIfAbsent(s.atMillis() / 1000, t -> new java.util.ArrayList<>()).add(s));
        StringBuilder out = new StringBuilder("\nOver time (each worker sampled; memory and KV: the highest worker; "
                + "counters: fleet totals of the live processes):\n\n"
                + "| t (s) | workers | RSS max (MiB) | heap max (MiB) | KV usage max | running | waiting "
                + "| preemptions | paused partition-s | generated tokens |\n|---|---|---|---|---|---|---|---|---|---|\n");
        byTime.forEach((t, list) -> out.append("| %d | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f | %.1f | %.0f |\n"
                .formatted(t, list.size(),
                        list.stream().mapToLong(FleetSampler.Sample::rssBytes).max().orElse(0) / 1048576.0,
                        list.stream().mapToDouble(FleetSampler.Sample::heapBytes).max().orElse(0) / 1048576.0,
                        list.stream().mapToDouble(FleetSampler.Sample::kvUsage).max().orElse(0),
                        list.stream().mapToDouble(FleetSampler.Sample::running).sum(),
                        list.stream().mapToDouble(FleetSampler.Sample::waiting).sum(),
                        list.stream().mapToDouble(FleetSampler.Sample::preemptions).sum(),
                        list.stream().mapToDouble(FleetSampler.Sample::pausedSeconds).sum(),
                        list.stream().mapToDouble(FleetSampler.Sample::generationTokens).sum())));
        return out.toString();
    }

    private static String latency(long[] sorted) {
        if (sorted.length == 0) {
            return "none";
        }
        return "%d / %d / %d (n = %d)".formatted(ChaosResult.percentile(sorted, 0.5), ChaosResult.percentile(sorted, 0.99),
                sorted[sorted.length - 1], sorted.length);
    }

    private static void row(StringBuilder out, String what, Object value) {
        out.append("| ").append(what).append(" | ").append(value).append(" |\n");
    }
}
