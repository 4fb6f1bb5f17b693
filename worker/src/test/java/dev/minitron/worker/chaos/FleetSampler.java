package dev.minitron.worker.chaos;

import dev.minitron.worker.testing.Scrape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples each healthy worker now and then: resident set size (from /proc), JVM heap in use, KV cache
 * usage, running and waiting requests, preemptions and paused-partition seconds so far (from its
 * /q/metrics). The load report shows them over time: flat heap and RSS, KV near full, preemptions
 * growing, paused time not growing without bound.
 */
public final class FleetSampler {

    /** One worker at one moment; counters are the process's totals so far. */
    public record Sample(long atMillis, String worker, long rssBytes, double heapBytes, double kvUsage, double running,
            double waiting, double preemptions, double pausedSeconds, double generationTokens) {
    }

    private final List<Sample> samples = new ArrayList<>();

    void sample(long atMillis, List<WorkerSlot> slots, LeakScan scan) {
        for (WorkerSlot slot : slots) {
            if (!slot.healthy()) {
                continue;
            }
            try {
                String text = Scrape.text(slot.metrics());
                scan.scan("metrics", text);
                Scrape s = Scrape.parse(text);
                samples.add(new Sample(atMillis, slot.current().name(), rss(slot.current().pid()),
                        s.sum("jvm_memory_used_bytes", "area", "heap"), s.sum("minitron:kv_cache_usage_perc"),
                        s.sum("minitron:num_requests_running"), s.sum("minitron:num_requests_waiting"),
                        s.sum("minitron:num_preemptions_total"), s.sum("minitron:kafka_partition_paused_seconds_total"),
                        s.sum("minitron:generation_tokens_total")));
            } catch (Exception e) {
                // a worker that just died or froze: the next sample will tell
            }
        }
    }

    static long rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
            // not Linux, or the process is gone
        }
        return -1;
    }

    List<Sample> samples() {
        return List.copyOf(samples);
    }
}
