package dev.minitron.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class PromptConsumerMetricsTest {

    private static final long SECOND = 1_000_000_000L;

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final PromptConsumerMetrics metrics = new PromptConsumerMetrics(registry);

    @Test
    void pausedTimeAccruesThePartitionsPausedOverEachLoop() {
        metrics.loop(10 * SECOND, 2, 4, 9, 0, 0);    // from here two partitions are paused
        metrics.loop(13 * SECOND, 1, 4, 9, 0, 0);    // 2 × 3 s
        metrics.loop(14 * SECOND, 0, 0, 0, 0, 0);    // 1 × 1 s
        metrics.loop(20 * SECOND, 0, 0, 0, 0, 0);

        assertThat(registry.get("minitron:kafka_partition_paused_seconds").functionCounter().count()).isEqualTo(7.0);
        assertThat(registry.get("minitron:kafka_paused_partitions").gauge().value()).isZero();
    }

    @Test
    void gaugesShowTheLastLoopsNumbers() {
        metrics.loop(SECOND, 3, 128, 140, 7, 1);

        assertThat(registry.get("minitron:kafka_paused_partitions").gauge().value()).isEqualTo(3);
        assertThat(registry.get("minitron:kafka_records_in_flight").gauge().value()).isEqualTo(128);
        assertThat(registry.get("minitron:kafka_records_uncommitted").gauge().value()).isEqualTo(140);
    }
}
