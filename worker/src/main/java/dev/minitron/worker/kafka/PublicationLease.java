package dev.minitron.worker.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.jboss.logging.Logger;

/**
 * At-least-once delivery only ({@link AtLeastOnceDelivery}): with exactly-once the group coordinator
 * refuses a fenced worker's transaction, which does this job exactly.
 *
 * <p>Whether this worker may still believe it owns its partitions, for publishing completions. A worker
 * frozen past the session timeout (a long GC pause, SIGSTOP, a stalled VM) or cut off from the group
 * coordinator for as long has been fenced out of the group: its partitions have moved and their
 * prompts are being answered again by the new owner. Kafka refuses its offset commits (stale
 * generation), but nothing stops its producer: a completion it finishes after waking would land
 * after the new owner's, and the compacted completions topic would keep the older attempt.
 *
 * <p>The lease is the broker's word, not the worker's belief: it is confirmed by an offset commit
 * the group coordinator <em>accepted</em> (which it does only for the current generation), and lasts
 * from the moment that commit was issued for half the session timeout. The poll thread commits often
 * under load and, when idle, re-commits its watermarks before the lease runs out. A completion
 * finished while the lease has lapsed is held, not sent; after a poll that confirms it again the held
 * completions run (their partitions' revocation, if the worker was fenced, has dropped them by then:
 * a fenced worker's commits fail, so its lease is never confirmed before it learns it lost them).
 * Token events are not held: a fenced worker's tokens carry a lower attempt, which clients discard.
 * What this cannot stop is a record already in the producer's buffer when the worker froze or the
 * network went (docs/delivery.md, "Fenced workers").
 */
public final class PublicationLease {

    private static final Logger LOG = Logger.getLogger(PublicationLease.class);

    private final long termNanos;
    private volatile long validUntilNanos = System.nanoTime();   // lapsed until the first accepted commit
    private final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
    private final AtomicLong heldTotal = new AtomicLong();
    private boolean warned;   // poll thread only: a lapse with held completions was logged

    public PublicationLease(long termNanos) {
        this.termNanos = termNanos;
    }

    /** A lease of half the consumer's session timeout ({@code kafka.session.timeout.ms}, Kafka's default 45 s). */
    public static PublicationLease forConsumer(Map<String, Object> consumerSettings) {
        Object v = consumerSettings.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG);
        long sessionMs = v == null ? 45_000 : Long.parseLong(v.toString());
        return new PublicationLease(sessionMs * 1_000_000L / 2);
    }

    /** Poll thread: the coordinator accepted a commit issued at {@code issuedAtNanos}. */
    public void confirmed(long issuedAtNanos) {
        long until = issuedAtNanos + termNanos;
        if (until - validUntilNanos > 0) {
            validUntilNanos = until;
        }
    }

    /** Poll thread: whether to re-commit now so that an idle worker's lease does not run out. */
    public boolean wantsConfirmation() {
        return validUntilNanos - System.nanoTime() < termNanos / 2;
    }

    /** Poll thread, after each poll (whose commit callbacks have run): runs what was held if the lease holds. */
    public void releaseHeld() {
        if (valid()) {
            if (warned) {
                warned = false;
                LOG.infof("publication lease confirmed again; releasing %d held completions", held.size());
            }
            Runnable r;
            while ((r = held.poll()) != null) {
                r.run();
            }
        } else if (!warned && !held.isEmpty()) {
            warned = true;
            LOG.warn("publication lease lapsed (no offset commit accepted by the group coordinator for half the "
                    + "session timeout): completions are held until this worker knows it still owns its partitions");
        }
    }

    /** Engine thread: runs {@code publish} now while the lease holds, else after the next confirmation. */
    public void publish(Runnable publish) {
        if (valid()) {
            publish.run();
        } else {
            heldTotal.incrementAndGet();
            held.add(publish);
            LOG.debug("completion held: the publication lease has lapsed");
        }
    }

    public boolean valid() {
        return System.nanoTime() - validUntilNanos < 0;
    }

    /** Completions held back so far (each then published or dropped): a fenced or starved worker. */
    public long heldTotal() {
        return heldTotal.get();
    }
}
