package dev.minitron.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.StringJoiner;

/**
 * One line about a completion for stderr, e.g. {@code [finish_reason=length prompt_tokens=6
 * completion_tokens=32 cached_tokens=0 queued_ms=3 ttft_ms=45 duration_ms=812 model=tiny
 * worker=w-1 attempt=0 | client: first token 60 ms, total 830 ms]}.
 */
final class CompletionSummary {

    private CompletionSummary() {}

    static String of(JsonNode completion, long sentAt, long firstTokenAt, long now) {
        var line = new StringJoiner(" ", "[", "]");
        field(line, completion, "finish_reason");
        completion.path("usage").properties().forEach(e -> line.add(e.getKey() + "=" + e.getValue().asText()));
        completion.path("timing").properties().forEach(e -> line.add(e.getKey() + "=" + e.getValue().asText()));
        field(line, completion, "model");
        field(line, completion, "worker");
        field(line, completion, "attempt");
        String client = firstTokenAt == 0 ? String.format("| client: total %d ms", millis(now - sentAt))
                : String.format("| client: first token %d ms, total %d ms", millis(firstTokenAt - sentAt),
                        millis(now - sentAt));
        line.add(client);
        return line.toString();
    }

    private static void field(StringJoiner line, JsonNode node, String name) {
        if (node.hasNonNull(name)) {
            line.add(name + "=" + node.get(name).asText());
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
