package dev.minitron.worker.engine;

import dev.minitron.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;

/** This worker's name in completions, error events and logs: configured, or host name and process id. */
@ApplicationScoped
public class WorkerIdentity {

    private final String id;

    public WorkerIdentity(WorkerConfig config) {
        this.id = config.worker().id().orElseGet(WorkerIdentity::defaultId);
    }

    public String id() {
        return id;
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "worker";
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
