package dev.minitron.worker.chaos;

import java.util.Arrays;
import java.util.Locale;

/** The faults a chaos run injects at random times (engine faults come from configuration instead). */
public enum Fault {
    /** SIGKILL of a worker: no drain, no commit; its slot restarts after a short delay. */
    KILL("kill", true),
    /** SIGTERM of a worker: the drain path (finish within the grace, commit, leave); then restarted. */
    TERM("term", true),
    /** SIGSTOP of a worker past the session timeout, then SIGCONT: a zombie whose partitions moved on. */
    STOP("stop", true),
    /** A clean stop and start of the broker (every client reconnects; nothing is lost on disk). */
    BROKER("broker", false),
    /** A worker's connections stop moving bytes (TCP stays up) for longer than the session timeout. */
    STALL("stall", true),
    /** A worker's connections are reset at once; it reconnects. */
    CUT("cut", true),
    /** A worker cannot reach the broker at all for a while (new connections refused, open ones cut). */
    PARTITION("partition", true);

    private final String label;
    private final boolean perWorker;

    Fault(String label, boolean perWorker) {
        this.label = label;
        this.perWorker = perWorker;
    }

    public String label() {
        return label;
    }

    /** Whether the fault hits one worker (else the whole fleet). */
    public boolean perWorker() {
        return perWorker;
    }

    static Fault parse(String label) {
        return Arrays.stream(values()).filter(f -> f.label.equals(label.toLowerCase(Locale.ROOT))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown fault " + label + "; known: "
                        + Arrays.stream(values()).map(Fault::label).toList()));
    }
}
