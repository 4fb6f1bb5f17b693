package dev.minitron.worker.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Time to first token through Kafka, hop by hop: the client's own send and receive times joined,
 * by request id, with the worker's {@code minitron.FirstTokenHops} flight-recorder events. Both
 * sides stamp the wall clock in microseconds, which every process on one host shares, so the
 * hops between processes (the prompt's way to the worker's poll, the token event's way to the
 * client) are differences of one clock.
 */
final class FirstTokenBreakdown {

    /** The client's times for one request, µs since the epoch; {@code acked} is its prompt's acknowledgement. */
    record ClientTimes(long sent, long acked, long received) {
    }

    private record Hop(String name, String what) {
    }

    private static final List<Hop> HOPS = List.of(
            new Hop("prompt to the worker", "client `send()` → the worker's poll returned it (client producer, broker append, worker fetch)"),
            new Hop("admission", "poll → parsed, validated, queued for the engine"),
            new Hop("journal commit and hand-off", "→ in the engine's inbox (the attempt journal is committed first)"),
            new Hop("engine: schedule, prefill, sample", "→ the engine delivered the first token"),
            new Hop("token event mapping", "→ serialized and handed to the producer"),
            new Hop("token event to the client", "→ the client's poll returned it (worker producer, broker append, client fetch)"));

    private final Map<String, ClientTimes> client = new HashMap<>();

    void client(String id, ClientTimes times) {
        client.put(id, times);
    }

    /** A Markdown table of the hops' p50/p99 (ms), from the worker's recording; empty when it has none. */
    String table(Path workerRecording) throws IOException {
        List<List<Double>> hops = new ArrayList<>();
        HOPS.forEach(h -> hops.add(new ArrayList<>()));
        List<Double> total = new ArrayList<>();
        List<Double> produce = new ArrayList<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(workerRecording)) {
            if (!e.getEventType().getName().equals("minitron.FirstTokenHops")) {
                continue;
            }
            ClientTimes c = client.get(e.getString("id"));
            if (c == null || c.received() == 0) {
                continue;   // a warm-up or throughput request: not one of the one-at-a-time requests
            }
            long[] at = {c.sent(), e.getLong("polled"), e.getLong("admitted"), e.getLong("handedToEngine"),
                    e.getLong("firstToken"), e.getLong("sent"), c.received()};
            for (int i = 0; i < HOPS.size(); i++) {
                hops.get(i).add((at[i + 1] - at[i]) / 1e3);
            }
            total.add((c.received() - c.sent()) / 1e3);
            produce.add((c.acked() - c.sent()) / 1e3);
        }
        if (total.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        out.append("| hop (%d requests, one at a time) | p50 ms | p99 ms |%n|---|---|---|%n".formatted(total.size()));
        for (int i = 0; i < HOPS.size(); i++) {
            out.append("| %s: %s | %.3f | %.3f |%n".formatted(HOPS.get(i).name(), HOPS.get(i).what(),
                    KafkaVsDirectBenchmark.pct(hops.get(i), 50), KafkaVsDirectBenchmark.pct(hops.get(i), 99)));
        }
        out.append("| **send → first token event received** | **%.3f** | **%.3f** |%n".formatted(
                KafkaVsDirectBenchmark.pct(total, 50), KafkaVsDirectBenchmark.pct(total, 99)));
        out.append("| for reference: client `send()` → the broker's acknowledgement of the prompt | %.3f | %.3f |%n"
                .formatted(KafkaVsDirectBenchmark.pct(produce, 50), KafkaVsDirectBenchmark.pct(produce, 99)));
        return out.toString();
    }
}
