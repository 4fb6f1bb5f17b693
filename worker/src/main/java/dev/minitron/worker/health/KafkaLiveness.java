package dev.minitron.worker.health;

import dev.minitron.worker.kafka.PromptConsumer;
import dev.minitron.worker.kafka.ResultPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Not live when the poll loop died or the broker refused a terminal record after all retries: a
 * restart is then the way to get the uncommitted prompts answered (they are redelivered).
 */
@Liveness
@ApplicationScoped
public class KafkaLiveness implements HealthCheck {

    private final PromptConsumer consumer;
    private final ResultPublisher publisher;

    public KafkaLiveness(PromptConsumer consumer, ResultPublisher publisher) {
        this.consumer = consumer;
        this.publisher = publisher;
    }

    @Override
    public HealthCheckResponse call() {
        long failed = publisher.failedTerminalSends();
        return HealthCheckResponse.named("kafka-loop")
                .status(consumer.pollLoopAlive() && failed == 0)
                .withData("poll_loop_alive", consumer.pollLoopAlive())
                .withData("failed_terminal_sends", failed)
                .build();
    }
}
