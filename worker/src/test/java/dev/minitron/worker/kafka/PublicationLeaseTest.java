package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PublicationLeaseTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long TERM = 3 * SECOND;   // a 6 s session timeout

    @Test
    void lapsedUntilTheFirstAcceptedCommitThenPublishesAtOnce() {
        var lease = new PublicationLease(TERM);
        List<String> sent = new ArrayList<>();
        lease.publish(() -> sent.add("early"));
        lease.releaseHeld();
        assertThat(sent).as("no commit accepted yet").isEmpty();
        assertThat(lease.heldTotal()).isEqualTo(1);

        lease.confirmed(System.nanoTime());
        lease.releaseHeld();
        assertThat(sent).containsExactly("early");
        lease.publish(() -> sent.add("now"));
        assertThat(sent).containsExactly("early", "now");
        assertThat(lease.heldTotal()).isEqualTo(1);
    }

    @Test
    void aCommitIssuedBeforeAFreezeDoesNotCoverTheTimeAfterIt() {
        var lease = new PublicationLease(TERM);
        // Issued, then the worker froze for longer than the term; the acceptance arrives after.
        lease.confirmed(System.nanoTime() - 2 * TERM);
        assertThat(lease.valid()).isFalse();
        List<String> sent = new ArrayList<>();
        lease.publish(() -> sent.add("held"));
        lease.releaseHeld();
        assertThat(sent).isEmpty();
        lease.confirmed(System.nanoTime());   // a commit of the current generation was accepted: still the owner
        lease.releaseHeld();
        assertThat(sent).containsExactly("held");
    }

    @Test
    void anOlderConfirmationNeverShortensTheLease() {
        var lease = new PublicationLease(TERM);
        lease.confirmed(System.nanoTime());
        lease.confirmed(System.nanoTime() - 10 * TERM);   // a slow callback of an earlier commit
        assertThat(lease.valid()).isTrue();
    }

    @Test
    void anIdleWorkerAsksForAConfirmationBeforeItRunsOut() {
        var lease = new PublicationLease(TERM);
        assertThat(lease.wantsConfirmation()).isTrue();
        lease.confirmed(System.nanoTime());
        assertThat(lease.wantsConfirmation()).as("a whole term left").isFalse();
        lease.confirmed(System.nanoTime() - 2 * SECOND);   // not newer: ignored
        assertThat(lease.wantsConfirmation()).isFalse();
        var older = new PublicationLease(TERM);
        older.confirmed(System.nanoTime() - 2 * SECOND);   // 1 s left of 3
        assertThat(older.valid()).isTrue();
        assertThat(older.wantsConfirmation()).isTrue();
    }

    @Test
    void theTermIsHalfTheSessionTimeout() {
        var lease = PublicationLease.forConsumer(Map.of("session.timeout.ms", "20000"));   // a 10 s term
        lease.confirmed(System.nanoTime() - 5 * SECOND);
        assertThat(lease.valid()).isTrue();
        var expired = PublicationLease.forConsumer(Map.of("session.timeout.ms", "20000"));
        expired.confirmed(System.nanoTime() - 15 * SECOND);
        assertThat(expired.valid()).isFalse();
    }
}
