package dev.minitron.worker.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a worker's CPU outside the engine went, from its flight recording's execution samples
 * ({@code jdk.ExecutionSample}, Java code only) within a time window: samples per thread group and
 * the hottest methods (self time, the top frame) of the threads outside the engine.
 */
final class JfrProfile {

    private static final String WORKER = "dev.minitron.worker.";

    private JfrProfile() {
    }

    /** Markdown: samples by thread group, then the top {@code methods} frames outside the engine. */
    static String summary(Path recording, Instant from, Instant to, int methods) throws IOException {
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> byMethod = new HashMap<>();
        Map<String, Integer> byOurs = new HashMap<>();
        int outside = 0;
        int onEngineThread = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample")
                    || e.getStartTime().isBefore(from) || e.getStartTime().isAfter(to)) {
                continue;
            }
            var thread = e.getThread("sampledThread");
            String group = ThreadCpu.group(thread == null || thread.getJavaName() == null ? "?" : thread.getJavaName());
            byThread.merge(group, 1, Integer::sum);
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            if (ThreadCpu.isEngine(group)) {
                // The engine thread also runs the worker's sink (token events: map, serialize, send):
                // the Kafka path's cost, though /proc counts it as the engine's.
                if (stack.getFrames().stream().noneMatch(f -> f.getMethod().getType().getName().startsWith(WORKER))) {
                    continue;
                }
                onEngineThread++;
            }
            outside++;
            RecordedFrame top = stack.getFrames().getFirst();
            byMethod.merge(name(top), 1, Integer::sum);
            String ours = stack.getFrames().stream().filter(f -> f.getMethod().getType().getName().startsWith("dev.minitron."))
                    .findFirst().map(JfrProfile::name).orElse("(no project frame: " + group + ")");
            byOurs.merge(ours, 1, Integer::sum);
        }
        int total = byThread.values().stream().mapToInt(Integer::intValue).sum();
        if (total == 0) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        out.append("Execution samples (JFR, Java frames only) by thread: ").append(byThread.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .map(x -> "`%s` %d".formatted(x.getKey(), x.getValue())).collect(Collectors.joining(", ")))
                .append(".\n\n");
        int engineSamples = byThread.getOrDefault("minitron-engine", 0);
        out.append(("Of the engine thread's %d samples, %d (%.1f %%) ran the worker's sink (token events: map, serialize,"
                + " send), counted below as outside the engine.%n%n").formatted(engineSamples, onEngineThread,
                engineSamples == 0 ? 0.0 : 100.0 * onEngineThread / engineSamples));
        table(out, "hottest methods outside the engine (self: the sampled frame)", byMethod, outside, methods);
        out.append('\n');
        table(out, "outside the engine, by the innermost project method on the stack", byOurs, outside, methods);
        return out.toString();
    }

    private static void table(StringBuilder out, String title, Map<String, Integer> counts, int all, int rows) {
        out.append("| %s, %d samples | samples | share |%n|---|---|---|%n".formatted(title, all));
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(rows)
                .forEach(x -> out.append("| `%s` | %d | %.1f %% |%n".formatted(x.getKey(), x.getValue(),
                        100.0 * x.getValue() / all)));
    }

    private static String name(RecordedFrame frame) {
        String type = frame.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + frame.getMethod().getName();
    }
}
