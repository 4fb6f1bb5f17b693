package dev.minitron.worker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.jboss.logging.Logger;

/**
 * The prompt consumer's offset commits (poll thread only): each partition's contiguous watermark with
 * its attempt journal ({@link PromptLedger}), asynchronously as answers arrive and synchronously
 * before a batch starts and when partitions leave. Every commit the group coordinator accepts also
 * confirms the {@link PublicationLease}; an idle worker re-commits its unchanged watermarks before
 * the lease runs out.
 */
final class OffsetCommits {

    private static final Logger LOG = Logger.getLogger(OffsetCommits.class);

    private final PromptLedger ledger;
    private final PublicationLease lease;
    private KafkaException lastError;

    OffsetCommits(PromptLedger ledger, PublicationLease lease) {
        this.ledger = ledger;
        this.lease = lease;
    }

    /** Offers what changed (or, to keep the lease, the current watermarks) for an asynchronous commit. */
    void commitAsync(KafkaConsumer<byte[], byte[]> c) {
        var offsets = ledger.committable();
        if (offsets.isEmpty() && lease.wantsConfirmation()) {
            offsets = ledger.snapshot(c.assignment());   // unchanged: only to have the lease confirmed
        }
        if (!offsets.isEmpty()) {
            long issued = System.nanoTime();
            var sent = offsets;
            c.commitAsync(offsets, (o, e) -> {
                if (e == null) {
                    ledger.committed(o);
                    lease.confirmed(issued);
                } else {
                    ledger.commitFailed(sent);
                    LOG.warnf("offset commit failed, will retry: %s", e.toString());
                }
            });
        }
    }

    /** Commits the current watermarks and journals of these partitions and waits; never throws. */
    boolean commitSync(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = ledger.snapshot(partitions);
        if (offsets.isEmpty()) {
            return true;
        }
        try {
            long issued = System.nanoTime();
            c.commitSync(offsets, Duration.ofSeconds(10));
            ledger.committed(offsets);
            lease.confirmed(issued);
            return true;
        } catch (KafkaException e) {
            lastError = e;
            ledger.commitFailed(offsets);
            LOG.warnf("offset commit failed (prompts above the last committed offset will be answered again): %s",
                    e.toString());
            return false;
        }
    }

    /** Why the last {@link #commitSync} failed. */
    KafkaException lastError() {
        return lastError;
    }

    /** Whether a failed commit may mean a rebalance, a fenced member or an unreachable coordinator (all pass). */
    static boolean mayBeFenced(KafkaException e) {
        return e instanceof RetriableException || e instanceof CommitFailedException
                || e instanceof RebalanceInProgressException || e instanceof FencedInstanceIdException
                || e instanceof InterruptException;
    }
}
