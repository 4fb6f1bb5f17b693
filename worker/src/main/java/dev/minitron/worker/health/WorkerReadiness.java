package dev.minitron.worker.health;

import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.engine.EngineWarmUp;
import dev.minitron.worker.kafka.PromptConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the model is loaded, the KV cache allocated, the synthetic warm-up done and the consumer
 * has joined its group.
 */
@Readiness
@ApplicationScoped
public class WorkerReadiness implements HealthCheck {

    private final EngineHolder engine;
    private final PromptConsumer consumer;
    private final EngineWarmUp warmUp;

    public WorkerReadiness(EngineHolder engine, PromptConsumer consumer, EngineWarmUp warmUp) {
        this.engine = engine;
        this.consumer = consumer;
        this.warmUp = warmUp;
    }

    @Override
    public HealthCheckResponse call() {
        var stats = engine.engine().stats();
        boolean kvAllocated = stats.numKvBlocks() > 0;
        boolean ready = stats.alive() && kvAllocated && warmUp.done() && consumer.pollLoopAlive() && consumer.joined()
                && consumer.failedTerminalSends() == 0;
        return HealthCheckResponse.named("worker")
                .status(ready)
                .withData("model", engine.modelName())
                .withData("kv_blocks", stats.numKvBlocks())
                .withData("warm_up", warmUp.phase().name().toLowerCase(java.util.Locale.ROOT))
                .withData("kafka_group_joined", consumer.joined())
                .withData("in_flight", consumer.inFlightCount())
                .build();
    }
}
