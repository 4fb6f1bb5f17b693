package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The ledger's small API: take → ticket, hand-back or skip; open, answered; what to commit; forget. */
class PromptLedgerTest {

    private static final TopicPartition P0 = new TopicPartition("prompts", 0);
    private static final TopicPartition P1 = new TopicPartition("prompts", 1);

    private final PromptLedger ledger = new PromptLedger(new OffsetTracker(), new RecentAnswers(60_000, 100), 3);

    private InFlight open(long offset, String id) {
        var t = (PromptLedger.Ticket) ledger.take(P0, offset);
        InFlight r = new InFlight(t.partition(), t.offset(), t.generation(), id, id + "#1", t.attempt(), true, Map.of(),
                0, 1);
        ledger.open(r);
        return r;
    }

    @Test
    void answersOutOfOrderMoveTheWatermarkOnlyWhenContiguous() {
        ledger.assigned(P0, null);
        InFlight a = open(0, "a");
        InFlight b = open(1, "b");
        ledger.answered(b);
        assertThat(ledger.snapshot(Set.of(P0)).get(P0).offset()).isZero();
        ledger.answered(a);
        assertThat(ledger.snapshot(Set.of(P0)).get(P0).offset()).isEqualTo(2);
        assertThat(ledger.inFlightCount()).isZero();
    }

    @Test
    void aRecordAnEarlierOwnerAnsweredIsSkippedAndOneItStartedGetsTheNextAttempt() {
        // An earlier owner committed watermark 5 with a journal: 5 started (attempt 1), 6 answered.
        OffsetTracker earlier = new OffsetTracker();
        earlier.assigned(P0, null);
        earlier.track(P0, 5);
        earlier.started(P0, 5, 1);
        long g = earlier.track(P0, 6);
        earlier.started(P0, 6, 1);
        earlier.ack(P0, 6, g);
        OffsetAndMetadata committed = earlier.watermarks(Set.of(P0)).get(P0);

        ledger.assigned(P0, committed);
        var ticket = (PromptLedger.Ticket) ledger.take(P0, 5);
        assertThat(ticket.attempt()).isEqualTo(2);
        assertThat(ledger.take(P0, 6)).isSameAs(PromptLedger.Take.SKIP);
        assertThat(PromptLedger.coveredBy(committed, 6)).isTrue();
        assertThat(PromptLedger.coveredBy(committed, 5)).isFalse();
        assertThat(PromptLedger.coveredBy(committed, 4)).isTrue();
    }

    @Test
    void aSlowPromptAtTheWatermarkMakesTheLedgerHandBack() {
        ledger.assigned(P0, null);
        open(0, "slow");
        open(1, "x");
        open(2, "y");
        assertThat(ledger.take(P0, 3)).isSameAs(PromptLedger.Take.HAND_BACK);
        assertThat(ledger.spanFull(P0)).isTrue();
    }

    @Test
    void duplicatesInFlightAndRecentlyAnsweredAreTold() {
        ledger.assigned(P0, null);
        InFlight a = open(0, "a");
        assertThat(ledger.duplicateOf("a", P0, 7, 0).earlier()).isNull();
        ledger.answered(a);
        var again = ledger.duplicateOf("a", P0, 7, System.currentTimeMillis());
        assertThat(again.earlier().offset()).isZero();
        assertThat(again.sameRecord()).isFalse();
        assertThat(ledger.duplicateOf("a", P0, 0, System.currentTimeMillis()).sameRecord()).isTrue();
        assertThat(ledger.duplicateOf("b", P0, 1, System.currentTimeMillis())).isNull();
    }

    @Test
    void forgettingAPartitionRevokesItsRequestsAndAnAnswerFromBeforeDoesNotCount() {
        ledger.assigned(P0, null);
        ledger.assigned(P1, null);
        InFlight a = open(0, "a");
        List<InFlight> revoked = ledger.forget(Set.of(P0));
        assertThat(revoked).containsExactly(a);
        assertThat(a.revoked()).isTrue();
        assertThat(ledger.mayPublish(a)).isFalse();
        ledger.assigned(P0, null);   // back again, a new generation
        var t = (PromptLedger.Ticket) ledger.take(P0, 0);
        ledger.answered(a);          // the old assignment's answer
        assertThat(ledger.snapshot(Set.of(P0)).get(P0).offset()).isZero();
        assertThat(t.attempt()).isEqualTo(1);
    }

    @Test
    void anAnswerCountedForATransactionIsNotRememberedAsAnsweredUntilWritten() {
        ledger.assigned(P0, null);
        InFlight a = open(0, "a");
        ledger.counted(a);   // in a transaction that may yet abort
        assertThat(ledger.snapshot(Set.of(P0)).get(P0).offset()).as("the transaction commits offset 1").isEqualTo(1);
        assertThat(ledger.duplicateOf("a", P0, 0, System.currentTimeMillis()).sameRecord())
                .as("not skipped as answered should the record come back").isFalse();
        ledger.written(a);
        assertThat(ledger.duplicateOf("a", P0, 0, System.currentTimeMillis()).sameRecord()).isTrue();
    }

    @Test
    void anAnswerIsOwnedOnlyInTheAssignmentItsRecordWasTakenIn() {
        ledger.assigned(P0, null);
        InFlight a = open(0, "a");
        var t = (PromptLedger.Ticket) ledger.take(P0, 1);
        InFlight rejected = InFlight.rejected(P0, 1, t.generation(), 0);
        assertThat(ledger.owns(a)).isTrue();
        assertThat(ledger.owns(rejected)).isTrue();
        ledger.forget(Set.of(P0));
        ledger.assigned(P0, null);   // the partition came back: a new assignment
        assertThat(ledger.owns(a)).isFalse();
        assertThat(ledger.owns(rejected)).as("an error event of a record the new assignment answers").isFalse();
    }

    @Test
    void aHandedBackTicketIsNoLongerTracked() {
        ledger.assigned(P0, null);
        var t = (PromptLedger.Ticket) ledger.take(P0, 0);
        ledger.handBack(t);
        assertThat(ledger.numPending()).isZero();
        assertThat(ledger.take(P0, 0)).isInstanceOf(PromptLedger.Ticket.class);
    }
}
