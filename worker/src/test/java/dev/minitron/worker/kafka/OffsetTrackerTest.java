package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {

    private static final TopicPartition P0 = new TopicPartition("minitron.prompts", 0);
    private static final TopicPartition P1 = new TopicPartition("minitron.prompts", 1);

    @Test
    void watermarkStopsAtTheLowestUnansweredOffset() {
        OffsetTracker t = new OffsetTracker();
        for (long o = 10; o < 15; o++) {
            t.track(P0, o);
        }
        t.ack(P0, 11);
        t.ack(P0, 12);
        assertThat(t.watermark(P0)).isEqualTo(10);
        t.ack(P0, 10);
        assertThat(t.watermark(P0)).isEqualTo(13);
        t.ack(P0, 14);
        t.ack(P0, 13);
        assertThat(t.watermark(P0)).isEqualTo(15);
        assertThat(t.numPending()).isZero();
    }

    @Test
    void committableOffersOnlyWatermarksThatMoved() {
        OffsetTracker t = new OffsetTracker();
        t.track(P0, 0);
        t.track(P1, 5);
        assertThat(t.takeCommittable()).containsOnlyKeys(P0, P1);
        assertThat(t.takeCommittable()).isEmpty();
        t.ack(P1, 5);
        var commit = t.takeCommittable();
        assertThat(commit).containsOnlyKeys(P1);
        assertThat(commit.get(P1).offset()).isEqualTo(6);
    }

    @Test
    void ackForARemovedPartitionIsIgnored() {
        OffsetTracker t = new OffsetTracker();
        t.track(P0, 3);
        t.remove(P0);
        t.ack(P0, 3);
        assertThat(t.watermark(P0)).isEqualTo(-1);
    }

    @Test
    void randomAckOrderNeverPassesAnUnansweredOffset() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            OffsetTracker t = new OffsetTracker();
            List<Long> offsets = new ArrayList<>();
            for (long o = 0; o < 50; o++) {
                t.track(P0, o);
                offsets.add(o);
            }
            Collections.shuffle(offsets, random);
            java.util.Set<Long> answered = new java.util.HashSet<>();
            for (long o : offsets) {
                t.ack(P0, o);
                answered.add(o);
                long w = t.watermark(P0);
                for (long below = 0; below < w; below++) {
                    assertThat(answered).contains(below);
                }
                assertThat(w == 50 || !answered.contains(w)).isTrue();
            }
            assertThat(t.watermark(P0)).isEqualTo(50);
        }
    }
}
