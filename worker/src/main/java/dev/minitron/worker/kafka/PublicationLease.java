package dev.minitron.worker.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.jboss.logging.Logger;

/**
 * Whether this worker may still believe it owns its partitions, for publishing completions. A worker
 * frozen past the session timeout (a long GC pause, SIGSTOP, a stalled VM) or cut off from the group
 * coordinator for as long has been fenced out of the group: its partitions have moved and their
 * prompts are being answered again by the new owner. Kafka stops its offset commits (stale
 * generation), but nothing stops its producer: a completion it finishes after waking would land
 * after the new owner's, and the compacted completions topic would keep the older attempt.
 *
 * <p>The lease: after each poll the poll thread renews it, when the coordinator answered a heartbeat
 * recently, until the poll's start plus half the session timeout. A completion finished while the
 * lease has lapsed is held, not sent; the next renewal runs it after that poll, whose rebalance
 * callbacks have by then revoked what this worker lost (the held completion is then dropped, its
 * prompt left to the new owner). Token events are not held: a fenced worker's tokens carry a lower
 * attempt, which clients already discard. What this cannot stop is a record already in the producer's
 * buffer when the worker froze or the network went (docs/delivery.md, "Fenced workers").
 */
public final class PublicationLease {

    private static final Logger LOG = Logger.getLogger(PublicationLease.class);

    /** The group coordinator metric: seconds since the last successful heartbeat. */
    private static final String HEARTBEAT_AGO = "last-heartbeat-seconds-ago";

    private final long termNanos;
    private volatile long validUntilNanos = System.nanoTime();   // lapsed until the first renewal
    private Metric heartbeatAgo;          // poll thread only
    private boolean heartbeatSeen;        // poll thread only
    private boolean lapsed;               // poll thread only
    private final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
    private final AtomicLong heldTotal = new AtomicLong();

    public PublicationLease(long termNanos) {
        this.termNanos = termNanos;
    }

    /** A lease of half the consumer's session timeout ({@code kafka.session.timeout.ms}, Kafka's default 45 s). */
    public static PublicationLease forConsumer(Map<String, Object> consumerSettings) {
        Object v = consumerSettings.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        long sessionMs = v == null ? 45_000 : Long.parseLong(v.toString());
        return new PublicationLease(sessionMs * 1_000_000L / 2);
    }

    /**
     * Poll thread, after a poll that started at {@code pollStartNanos} returned: renews the lease
     * unless the coordinator has not answered a heartbeat for a whole term, then runs what was held.
     */
    public void renew(long pollStartNanos, Map<MetricName, ? extends Metric> consumerMetrics) {
        double ago = heartbeatSecondsAgo(consumerMetrics);
        boolean heard = Double.isNaN(ago) || ago < 0 || ago * 1e9 < termNanos;
        heartbeatSeen |= heard && !Double.isNaN(ago);
        // Before the first heartbeat of this consumer the metric counts from the epoch: poll gap only.
        if (heard || !heartbeatSeen) {
            validUntilNanos = pollStartNanos + termNanos;
        }
        boolean nowValid = valid();
        if (nowValid == lapsed) {
            lapsed = !nowValid;
            if (lapsed) {
                LOG.warnf("publication lease lapsed (%s): completions are held until this worker knows whether it "
                        + "still owns its partitions", heard ? "no poll for over half the session timeout"
                        : "the group coordinator last answered a heartbeat %.0f s ago".formatted(ago));
            } else {
                LOG.infof("publication lease renewed; releasing %d held completions", held.size());
            }
        }
        if (nowValid) {
            Runnable r;
            while ((r = held.poll()) != null) {
                r.run();
            }
        }
    }

    /** Engine thread: runs {@code publish} now while the lease holds, else at the next renewal. */
    public void publish(Runnable publish) {
        if (valid()) {
            publish.run();
        } else {
            heldTotal.incrementAndGet();
            held.add(publish);
        }
    }

    public boolean valid() {
        return System.nanoTime() - validUntilNanos < 0;
    }

    /** Completions held back so far (each then published or dropped): a fenced or starved worker. */
    public long heldTotal() {
        return heldTotal.get();
    }

    private double heartbeatSecondsAgo(Map<MetricName, ? extends Metric> metrics) {
        if (heartbeatAgo == null) {
            heartbeatAgo = metrics.entrySet().stream().filter(e -> e.getKey().name().equals(HEARTBEAT_AGO))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
        }
        return heartbeatAgo != null && heartbeatAgo.metricValue() instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
