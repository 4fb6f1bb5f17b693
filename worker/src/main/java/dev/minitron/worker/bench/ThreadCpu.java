package dev.minitron.worker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * CPU time of another process's threads, by thread, from Linux {@code /proc/<pid>/task/<tid>/stat}
 * (user + system ticks; {@code comm} is the thread name cut to 15 characters). Used to split a
 * worker's CPU into the engine's threads and everything else.
 */
final class ThreadCpu {

    /** Assumed clock tick of {@code utime}/{@code stime}; USER_HZ is 100 on Linux x86-64 and arm64. */
    static final double TICKS_PER_SECOND = 100.0;

    record Thread(String name, long ticks) {
    }

    private ThreadCpu() {
    }

    /** CPU seconds per thread id of process {@code pid} now. */
    static Map<Long, Thread> snapshot(long pid) throws IOException {
        Map<Long, Thread> out = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    int open = stat.indexOf('(');
                    int close = stat.lastIndexOf(')');
                    String name = stat.substring(open + 1, close);
                    String[] f = stat.substring(close + 2).split(" ");
                    // after "pid (comm) ": state is f[0], utime is field 14 (f[11]), stime field 15 (f[12])
                    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
                    out.put(Long.parseLong(task.getFileName().toString()), new Thread(name, ticks));
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return out;
    }

    /** CPU seconds process {@code pid} has used so far, all its threads, from {@code /proc/<pid>/stat}. */
    static double process(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
    }

    /** CPU seconds spent between two snapshots, by thread name (threads of one name summed). */
    static Map<String, Double> between(Map<Long, Thread> before, Map<Long, Thread> after) {
        Map<String, Double> out = new HashMap<>();
        after.forEach((tid, t) -> {
            long start = before.containsKey(tid) ? before.get(tid).ticks() : 0;
            out.merge(group(t.name()), (t.ticks() - start) / TICKS_PER_SECOND, Double::sum);
        });
        return out;
    }

    /** Thread names with their numbers dropped, so a pool's threads add up. */
    static String group(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    /** Whether a (grouped) thread name belongs to the engine: its loop and the CPU backend's pool. */
    static boolean isEngine(String group) {
        return group.equals("minitron-engine") || group.startsWith("minitron-cpu-#");
    }
}
