package dev.minitron.worker.health;

import dev.minitron.worker.kafka.CancelConsumer;
import dev.minitron.worker.kafka.PromptConsumer;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Not live when the poll loop or the cancel reader died, or the broker refused a terminal record after all retries: a
 * restart is then the way to get the uncommitted prompts answered (they are redelivered).
 */
@Liveness
@ApplicationScoped
public class KafkaLiveness implements HealthCheck {

    private final PromptConsumer consumer;
    private final CancelConsumer cancels;

    public KafkaLiveness(PromptConsumer consumer, CancelConsumer cancels) {
        this.consumer = consumer;
        this.cancels = cancels;
    }

    @Override
    public HealthCheckResponse call() {
        long failed = consumer.failedTerminalSends();
        return HealthCheckResponse.named("kafka-loop")
                .status(consumer.pollLoopAlive() && cancels.alive() && failed == 0)
                .withData("poll_loop_alive", consumer.pollLoopAlive())
                .withData("cancel_reader_alive", cancels.alive())
                .withData("cancel_reader_reading", cancels.reading())
                .withData("failed_terminal_sends", failed)
                .build();
    }
}
