package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.Test;

class PublicationLeaseTest {

    private static final long TERM = 3_000_000_000L;   // 3 s: a 6 s session timeout

    /** The consumer's coordinator metric, one object for the consumer's life as in the client (the lease caches it). */
    private static final class Heartbeat implements Metric {
        private final MetricName name = new MetricName("last-heartbeat-seconds-ago", "consumer-coordinator-metrics", "",
                Map.of());
        private double secondsAgo;

        Map<MetricName, Metric> at(double value) {
            secondsAgo = value;
            return Map.of(name, this);
        }

        @Override
        public MetricName metricName() {
            return name;
        }

        @Override
        public Object metricValue() {
            return secondsAgo;
        }
    }

    @Test
    void lapsedUntilTheFirstPollThenPublishesAtOnce() {
        var lease = new PublicationLease(TERM);
        List<String> sent = new ArrayList<>();
        lease.publish(() -> sent.add("early"));
        assertThat(sent).isEmpty();
        assertThat(lease.heldTotal()).isEqualTo(1);

        lease.renew(System.nanoTime(), Map.of());   // no heartbeat metric: the poll alone renews
        assertThat(sent).containsExactly("early");
        lease.publish(() -> sent.add("now"));
        assertThat(sent).containsExactly("early", "now");
        assertThat(lease.heldTotal()).isEqualTo(1);
    }

    @Test
    void aPollThatStartedLongAgoDoesNotRenewIt() {
        var lease = new PublicationLease(TERM);
        var heartbeat = new Heartbeat();
        // The poll began before a freeze longer than the term and returned after it.
        lease.renew(System.nanoTime() - 2 * TERM, heartbeat.at(0));
        assertThat(lease.valid()).isFalse();
        List<String> sent = new ArrayList<>();
        lease.publish(() -> sent.add("held"));
        assertThat(sent).isEmpty();
        lease.renew(System.nanoTime(), heartbeat.at(0));
        assertThat(sent).containsExactly("held");
    }

    @Test
    void anUnansweredCoordinatorLetsItLapseOnceAHeartbeatHasBeenSeen() {
        var lease = new PublicationLease(TERM);
        var heartbeat = new Heartbeat();
        // Before this consumer's first heartbeat the metric counts from the epoch: ignored.
        lease.renew(System.nanoTime(), heartbeat.at(1.7e9));
        assertThat(lease.valid()).isTrue();
        lease.renew(System.nanoTime(), heartbeat.at(1));
        assertThat(lease.valid()).isTrue();

        var late = new PublicationLease(TERM);
        var beat = new Heartbeat();
        late.renew(System.nanoTime() - TERM - 1, beat.at(0));   // a term has passed since this renewal
        late.renew(System.nanoTime(), beat.at(4));   // cut off: 4 s without an answer, term 3 s
        assertThat(late.valid()).isFalse();
        List<String> sent = new ArrayList<>();
        late.publish(() -> sent.add("held"));
        late.renew(System.nanoTime(), beat.at(5));
        assertThat(sent).as("still no heartbeat: still held").isEmpty();
        late.renew(System.nanoTime(), beat.at(0));
        assertThat(sent).containsExactly("held");
    }

    @Test
    void theTermIsHalfTheSessionTimeout() {
        var lease = PublicationLease.forConsumer(Map.of("session.timeout.ms", "6000"));
        lease.renew(System.nanoTime() - 2_900_000_000L, Map.of());
        assertThat(lease.valid()).isTrue();
        lease.renew(System.nanoTime() - 3_100_000_000L, Map.of());
        assertThat(lease.valid()).isFalse();
    }
}
