package dev.minitron.worker.chaos;

import dev.minitron.worker.testing.WorkerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One place in the fleet, as a Kubernetes pod of a Deployment is: it always has a worker process or
 * is about to get one. Each (re)start is a new process with a new name ({@code w<slot>-<n>}); the
 * slot's proxy stays, so the new process is behind the same simulated network. Not thread-safe: the
 * chaos driver's one thread owns every slot.
 */
final class WorkerSlot {

    private final int index;
    private final LoopbackProxy proxy;
    private final Path model;
    private final Path logDir;
    private final Map<String, String> settings;
    private final Map<String, String> environment;
    private final List<WorkerProcess> history = new ArrayList<>();
    private WorkerProcess current;
    private boolean ready;
    private boolean suspended;
    private long restartAtNanos = -1;
    private int failedLiveness;

    WorkerSlot(int index, LoopbackProxy proxy, Path model, Path logDir, Map<String, String> settings,
            Map<String, String> environment) {
        this.index = index;
        this.proxy = proxy;
        this.model = model;
        this.logDir = logDir;
        this.settings = settings;
        this.environment = environment;
    }

    int index() {
        return index;
    }

    LoopbackProxy proxy() {
        return proxy;
    }

    WorkerProcess current() {
        return current;
    }

    /** Every process this slot has had, oldest first (their logs are scanned after the run). */
    List<WorkerProcess> history() {
        return List.copyOf(history);
    }

    /** Started and answered its readiness probe, and not frozen by a fault. */
    boolean healthy() {
        return current != null && current.isAlive() && ready && !suspended;
    }

    boolean suspended() {
        return suspended;
    }

    void start() throws IOException {
        String name = "w" + index + "-" + (history.size() + 1);
        Map<String, String> own = new java.util.HashMap<>(settings);
        // Each process its own fault draws: the same seed everywhere would fail every worker together.
        own.computeIfPresent("minitron.engine.fault-injection.seed", (k, seed) -> Long.toString(Long.parseLong(seed)
                * 1_000_003L + name.hashCode()));
        current = WorkerProcess.start(name, "localhost:" + proxy.port(), model, logDir, own, environment);
        history.add(current);
        ready = false;
        restartAtNanos = -1;
        failedLiveness = 0;
    }

    void suspend() throws IOException, InterruptedException {
        current.suspend();
        suspended = true;
    }

    void resume() throws IOException, InterruptedException {
        current.resume();
        suspended = false;
    }

    /**
     * What the kubelet would do, once per driver tick: restart a process that has exited (after
     * {@code restartDelay}), mark a started one ready once its readiness probe answers, and SIGKILL
     * one whose liveness probe has failed three times in a row (an engine that died). Returns what it
     * did, for the event log, or null.
     */
    String supervise(Duration restartDelay) throws IOException, InterruptedException {
        if (suspended) {
            return null;
        }
        if (!current.isAlive()) {
            if (restartAtNanos < 0) {
                restartAtNanos = System.nanoTime() + restartDelay.toNanos();
                return current.name() + " exited";
            }
            if (System.nanoTime() >= restartAtNanos) {
                String old = current.name();
                start();
                return old + " replaced by " + current.name();
            }
            return null;
        }
        if (!ready) {
            ready = current.probe("/q/health/ready");
            return ready ? current.name() + " ready" : null;
        }
        failedLiveness = current.probe("/q/health/live") ? 0 : failedLiveness + 1;
        if (failedLiveness >= 3) {
            current.killHard();
            return current.name() + " failed its liveness probe 3 times: killed";
        }
        return null;
    }

    /** Last resort when the harness itself fails: no process of this slot outlives it, frozen or not. */
    void destroyAll() {
        for (WorkerProcess p : history) {
            if (p.isAlive()) {
                try {
                    p.resume();
                } catch (IOException | InterruptedException ignored) {
                    // it is killed below anyway
                }
                p.destroyNow();
            }
        }
    }

    /** The worker's metrics endpoint. */
    URI metrics() {
        return URI.create("http://localhost:" + current.httpPort() + "/q/metrics");
    }
}
