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
        long g = 0;
        for (long o = 10; o < 15; o++) {
            g = t.track(P0, o);
        }
        t.ack(P0, 11, g);
        t.ack(P0, 12, g);
        assertThat(t.watermark(P0)).isEqualTo(10);
        t.ack(P0, 10, g);
        assertThat(t.watermark(P0)).isEqualTo(13);
        t.ack(P0, 14, g);
        t.ack(P0, 13, g);
        assertThat(t.watermark(P0)).isEqualTo(15);
        assertThat(t.numPending()).isZero();
    }

    @Test
    void uncommittedCountsEveryOffsetAboveTheWatermarksOfAllPartitions() {
        OffsetTracker t = new OffsetTracker();
        long g0 = t.track(P0, 0);
        t.track(P0, 1);
        long g2 = t.track(P0, 2);
        long g1 = t.track(P1, 5);
        t.ack(P0, 2, g2);   // answered, but held back by 0 and 1
        assertThat(t.uncommitted()).isEqualTo(3 + 1);

        t.ack(P0, 0, g0);
        t.ack(P1, 5, g1);
        assertThat(t.uncommitted()).isEqualTo(2);   // P0: 1 unanswered, 2 above it
    }

    @Test
    void committableOffersOnlyWatermarksThatMoved() {
        OffsetTracker t = new OffsetTracker();
        t.track(P0, 0);
        long g1 = t.track(P1, 5);
        assertThat(t.takeCommittable()).containsOnlyKeys(P0, P1);
        assertThat(t.takeCommittable()).isEmpty();
        t.ack(P1, 5, g1);
        var commit = t.takeCommittable();
        assertThat(commit).containsOnlyKeys(P1);
        assertThat(commit.get(P1).offset()).isEqualTo(6);
    }

    @Test
    void aFailedCommitIsSentAgain() {
        OffsetTracker t = new OffsetTracker();
        long g = t.track(P0, 0);
        t.ack(P0, 0, g);
        var first = t.takeCommittable();
        t.commitFailed(first);
        assertThat(t.takeCommittable()).isEqualTo(first);
        t.committed(first);
        assertThat(t.takeCommittable()).isEmpty();
        assertThat(t.watermarks(java.util.List.of(P0)).get(P0).offset()).isEqualTo(1);
    }

    @Test
    void aLateAnswerFromAnEarlierAssignmentDoesNotCountForTheRedeliveredRecord() {
        OffsetTracker t = new OffsetTracker();
        long before = t.track(P0, 7);
        t.remove(P0);                       // revoked, then assigned again
        long after = t.track(P0, 7);        // the record is redelivered
        t.ack(P0, 7, before);               // the old attempt's answer lands late
        assertThat(t.watermark(P0)).isEqualTo(7);
        t.ack(P0, 7, after);
        assertThat(t.watermark(P0)).isEqualTo(8);
    }

    @Test
    void ackForARemovedPartitionIsIgnored() {
        OffsetTracker t = new OffsetTracker();
        long g = t.track(P0, 3);
        t.remove(P0);
        t.ack(P0, 3, g);
        assertThat(t.watermark(P0)).isEqualTo(-1);
    }

    @Test
    void randomAckOrderNeverPassesAnUnansweredOffset() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            OffsetTracker t = new OffsetTracker();
            List<Long> offsets = new ArrayList<>();
            long g = 0;
            for (long o = 0; o < 50; o++) {
                g = t.track(P0, o);
                offsets.add(o);
            }
            Collections.shuffle(offsets, random);
            java.util.Set<Long> answered = new java.util.HashSet<>();
            for (long o : offsets) {
                t.ack(P0, o, g);
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

    @Test
    void commitsCarryTheJournalAndANewOwnerNumbersTheNextAttemptHigher() {
        OffsetTracker first = new OffsetTracker();
        first.assigned(P0, null);
        long g = 0;
        for (long o = 0; o < 4; o++) {
            g = first.track(P0, o);
            assertThat(first.nextAttempt(P0, o)).isEqualTo(1);
            first.started(P0, o, 1);
        }
        first.ack(P0, 0, g);   // watermark 1
        first.ack(P0, 2, g);   // answered above the watermark
        var commit = first.takeCommittable().get(P0);
        assertThat(commit.offset()).isEqualTo(1);

        OffsetTracker second = new OffsetTracker();
        second.assigned(P0, commit);
        assertThat(second.nextAttempt(P0, 1)).isEqualTo(2);
        assertThat(second.prior(P0, 2).done()).isTrue();
        assertThat(second.nextAttempt(P0, 3)).isEqualTo(2);
        assertThat(second.prior(P0, 4)).isNull();
        assertThat(second.nextAttempt(P0, 4)).isEqualTo(1);

        // The second owner starts offset 1 again and dies: a third sees attempt 2 there, and still
        // the first owner's attempt at offset 3, which the second never reached.
        long g2 = second.track(P0, 1);
        second.started(P0, 1, 2);
        var commit2 = second.watermarks(List.of(P0)).get(P0);
        OffsetTracker third = new OffsetTracker();
        third.assigned(P0, commit2);
        assertThat(third.nextAttempt(P0, 1)).isEqualTo(3);
        assertThat(third.nextAttempt(P0, 3)).isEqualTo(2);
        assertThat(g2).isPositive();
    }

    @Test
    void aStartOrAnAnswerAboveTheWatermarkMakesTheJournalCommittableAgain() {
        OffsetTracker t = new OffsetTracker(4000, 0, System::nanoTime);   // no rate limit
        long g = t.track(P0, 0);
        t.track(P0, 1);
        t.takeCommittable();
        t.started(P0, 1, 1);
        assertThat(t.takeCommittable()).containsOnlyKeys(P0);
        assertThat(t.takeCommittable()).isEmpty();
        t.ack(P0, 1, g);
        var commit = t.takeCommittable().get(P0);
        assertThat(commit.offset()).isZero();
        assertThat(commit.metadata()).isEqualTo("j2:0:1!");
        t.ack(P0, 0, g);
        assertThat(t.takeCommittable().get(P0).metadata()).isEmpty();
    }

    @Test
    void aRecordHandedBackLeavesTheJournal() {
        OffsetTracker t = new OffsetTracker();
        t.track(P0, 0);
        t.started(P0, 0, 1);
        t.untrackLast(P0, 0);
        t.track(P0, 0);
        assertThat(t.metadata(P0)).isEmpty();
    }

    @Test
    void answersWithoutTheEngineAreMarkedDoneAndDoNotCutTheJournal() {
        OffsetTracker t = new OffsetTracker();
        t.assigned(P0, null);
        long g = 0;
        for (long o = 0; o < 3_000; o++) {
            g = t.track(P0, o);
            if (o % 3 != 2) {
                t.started(P0, o, 1);   // every third record is rejected: an error event, never started
            }
        }
        for (long o = 1; o < 3_000; o++) {
            t.ack(P0, o, g);           // all answered but the slow one at the watermark
        }
        var commit = t.watermarks(List.of(P0)).get(P0);
        assertThat(commit.offset()).isZero();
        assertThat(commit.metadata()).endsWith(":0,0+2bb!");   // two runs: 0 unanswered, 1..2999 answered

        OffsetTracker next = new OffsetTracker();
        next.assigned(P0, commit);
        assertThat(next.prior(P0, 0).done()).isFalse();
        for (long o = 1; o < 3_000; o++) {
            assertThat(next.prior(P0, o).done()).as("offset %d", o).isTrue();
        }
    }

    @Test
    void aJournalOnlyChangeIsOfferedAtMostOncePerInterval() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000);
        OffsetTracker t = new OffsetTracker(4000, 100_000_000L, now::get);
        long g = t.track(P0, 0);
        t.track(P0, 1);
        t.track(P0, 2);
        assertThat(t.takeCommittable()).containsOnlyKeys(P0);
        t.ack(P0, 2, g);
        assertThat(t.takeCommittable()).isEmpty();            // only the journal changed, 0 ms ago
        now.addAndGet(99_000_000L);
        assertThat(t.takeCommittable()).isEmpty();
        now.addAndGet(1_000_000L);
        assertThat(t.takeCommittable().get(P0).metadata()).endsWith(":2!");
        t.ack(P0, 1, g);
        assertThat(t.takeCommittable()).isEmpty();
        t.started(P0, 0, 1);                                  // new work: the synchronous commit is exact
        assertThat(t.watermarks(List.of(P0)).get(P0).metadata()).endsWith(":0,0+2!");
        t.ack(P0, 0, g);                                      // the watermark moved: offered at once
        assertThat(t.takeCommittable().get(P0).offset()).isEqualTo(3);
    }

    @Test
    void theSpanAboveTheWatermarkIsMeasured() {
        OffsetTracker t = new OffsetTracker();
        assertThat(t.uncommittedSpan(P0)).isZero();
        assertThat(t.span(P0, 5)).isZero();
        long g = 0;
        for (long o = 0; o < 10; o++) {
            g = t.track(P0, o);
        }
        for (long o = 1; o < 10; o++) {
            t.ack(P0, o, g);
        }
        assertThat(t.uncommittedSpan(P0)).isEqualTo(10);
        assertThat(t.span(P0, 10)).isEqualTo(11);
        t.ack(P0, 0, g);
        assertThat(t.uncommittedSpan(P0)).isZero();
        assertThat(t.numPending()).isZero();
    }
}
