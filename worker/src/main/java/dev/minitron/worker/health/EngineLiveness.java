package dev.minitron.worker.health;

import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/** Live while the engine loop keeps turning: it beats at least every 50 ms when idle, once a step when busy. */
@Liveness
@ApplicationScoped
public class EngineLiveness implements HealthCheck {

    private final EngineHolder holder;
    private final long timeoutNanos;

    public EngineLiveness(EngineHolder holder, WorkerConfig config) {
        this.holder = holder;
        this.timeoutNanos = config.worker().livenessTimeout().toNanos();
    }

    @Override
    public HealthCheckResponse call() {
        var stats = holder.engine().stats();
        long sinceBeat = System.nanoTime() - stats.heartbeatNanos();
        boolean up = stats.alive() && sinceBeat < timeoutNanos;
        return HealthCheckResponse.named("engine-loop")
                .status(up)
                .withData("alive", stats.alive())
                .withData("ms_since_heartbeat", sinceBeat / 1_000_000)
                .withData("running", stats.numRunning())
                .withData("waiting", stats.numWaiting())
                .build();
    }
}
