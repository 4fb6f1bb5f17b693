package dev.minitron.worker.chaos;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Looks for text that must never leave a worker except in its output topics: prompt text (every
 * prompt of a run starts with {@link PromptLoad#MARKER}), completion text, secrets. Fed with worker
 * logs, exported spans and metric scrapes after and during a fault run; thread-safe (spans arrive on
 * the sink's threads).
 */
public final class LeakScan {

    /** A forbidden string found in a source, with a little context (the marker itself is not secret). */
    public record Finding(String source, String what, String context) {
    }

    private final Map<String, String> forbidden = new LinkedHashMap<>();   // text -> what it is
    private final Map<String, Long> bytesScanned = new LinkedHashMap<>();
    private final List<Finding> findings = new ArrayList<>();

    /** Completion texts shorter than this are not looked for: a few characters occur anywhere by chance. */
    static final int MIN_COMPLETION_CHARS = 16;

    LeakScan forbid(String text, String what) {
        forbidden.put(text, what);
        return this;
    }

    /** Generated texts: each long enough to be unmistakable. */
    LeakScan forbidCompletions(Set<String> texts) {
        texts.stream().filter(t -> t.strip().length() >= MIN_COMPLETION_CHARS)
                .forEach(t -> forbidden.putIfAbsent(t.strip(), "completion text"));
        return this;
    }

    synchronized void scan(String source, String text) {
        bytesScanned.merge(source, (long) text.length(), Long::sum);
        for (var f : forbidden.entrySet()) {
            int at = text.indexOf(f.getKey());
            if (at >= 0 && findings.size() < 100) {
                int from = Math.max(0, at - 60);
                findings.add(new Finding(source, f.getValue(),
                        text.substring(from, Math.min(text.length(), at + 80)).replace('\n', ' ')));
            }
        }
    }

    synchronized List<Finding> findings() {
        return List.copyOf(findings);
    }

    /** Characters scanned per kind of source. */
    synchronized Map<String, Long> bytesScanned() {
        return Map.copyOf(bytesScanned);
    }
}
