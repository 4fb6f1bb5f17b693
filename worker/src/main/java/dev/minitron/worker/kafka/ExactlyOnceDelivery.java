package dev.minitron.worker.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.jboss.logging.Logger;

/**
 * {@code minitron.delivery.guarantee=exactly-once}: completions and error events are written by a
 * transactional producer, and the prompts' offsets — watermark and attempt journal — are committed
 * in the same transaction ({@code sendOffsetsToTransaction} with the consumer's group metadata,
 * KIP-447). A worker fenced out of its group (frozen or cut off past the session timeout, its
 * partitions moved) has that offset commit refused by the group coordinator, so its whole
 * transaction aborts and a {@code read_committed} reader never sees its answers: the broker fences
 * it, not a timer. An answer that is visible is one whose offset (or journal mark) is committed, so
 * the partition's next owner never answers that record again.
 *
 * <p>Answers wait in memory, not in an open transaction: the poll thread opens, fills and commits a
 * transaction in one go every {@code commit-interval} (or once {@code commit-max-answers} wait, or
 * before new prompts start, or before partitions are revoked). A transaction is therefore open only
 * for the few milliseconds of its commit, so a crashed worker rarely leaves one behind to hold back
 * {@code read_committed} readers until {@code transaction-timeout}; a restarted worker with the
 * same {@code transactional.id} aborts it at once.
 *
 * <p>A failed transaction is aborted and its answers are sent again with the next one (unless their
 * partition moved away meanwhile: then the new owner answers). A commit whose outcome is unknown (it
 * timed out) is settled by starting a new producer with the same {@code transactional.id}, which
 * completes or aborts it, and reading the group's committed offsets back: answers they cover were
 * written. Poll thread only, but for {@link #publish}.
 */
final class ExactlyOnceDelivery implements AnswerDelivery {

    private static final Logger LOG = Logger.getLogger(ExactlyOnceDelivery.class);
    private static final int COMMIT_RETRIES = 3;

    private final Supplier<KafkaProducer<byte[], byte[]>> producers;
    private final PromptLedger ledger;
    private final long intervalNanos;
    private final int maxAnswers;
    private final String transactionalId;
    private final ConcurrentLinkedQueue<Answer> incoming = new ConcurrentLinkedQueue<>();
    private final List<Answer> batch = new ArrayList<>();   // poll thread: answers for the next transaction
    private final AtomicLong failedTerminalSends = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong aborted = new AtomicLong();
    private KafkaProducer<byte[], byte[]> producer;
    private long oldestNanos;          // when the oldest answer in the batch was published
    private long lastCommitNanos = System.nanoTime();
    private volatile KafkaException poisoned;   // a record the broker will never take: no further commits
    private KafkaException lastError;
    private volatile boolean closed;

    /**
     * @param producers makes a transactional producer (the same {@code transactional.id} each time)
     */
    ExactlyOnceDelivery(Supplier<KafkaProducer<byte[], byte[]>> producers, String transactionalId, PromptLedger ledger,
                        Duration commitInterval, int maxAnswers) {
        this.producers = producers;
        this.transactionalId = transactionalId;
        this.ledger = ledger;
        this.intervalNanos = commitInterval.toNanos();
        this.maxAnswers = Math.max(1, maxAnswers);
    }

    /** Registers the transactional id with its coordinator (fencing any earlier producer of that id); retries until it can. */
    @Override
    public void start() {
        producer = initialized();
    }

    private KafkaProducer<byte[], byte[]> initialized() {
        long backoffMs = 200;
        while (!closed) {
            KafkaProducer<byte[], byte[]> p = producers.get();
            try {
                p.initTransactions();
                LOG.infof("transactional producer ready (transactional.id %s)", transactionalId);
                return p;
            } catch (KafkaException e) {
                p.close(Duration.ZERO);
                if (e instanceof AuthorizationException || e instanceof UnsupportedVersionException) {
                    throw e;   // never works: the worker must not start without its guarantee
                }
                LOG.warnf("cannot register transactional.id %s yet (retrying): %s", transactionalId, e.toString());
                sleep(backoffMs);
                backoffMs = Math.min(5_000, backoffMs * 2);
            }
        }
        throw new IllegalStateException("closed");
    }

    @Override
    public void publish(Answer answer) {
        incoming.add(answer);
    }

    @Override
    public void afterPoll(KafkaConsumer<byte[], byte[]> consumer) {
        moveIncoming();
        long now = System.nanoTime();
        boolean due = batch.isEmpty() ? now - lastCommitNanos >= intervalNanos   // only skipped offsets, maybe
                : batch.size() >= maxAnswers || now - oldestNanos >= intervalNanos;
        if (due) {
            commit(consumer, Set.of());
        }
    }

    @Override
    public boolean commitNow(KafkaConsumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions) {
        moveIncoming();
        return commit(consumer, partitions);
    }

    private void moveIncoming() {
        Answer a;
        while ((a = incoming.poll()) != null) {
            if (batch.isEmpty()) {
                oldestNanos = System.nanoTime();
            }
            batch.add(a);
        }
    }

    /**
     * One transaction: the batch's answers and the offsets they move (with the exact journal of their
     * partitions and of {@code exact}), or nothing when there is nothing to commit.
     */
    private boolean commit(KafkaConsumer<byte[], byte[]> consumer, Collection<TopicPartition> exact) {
        lastCommitNanos = System.nanoTime();
        if (poisoned != null) {
            lastError = poisoned;
            return false;
        }
        // One snapshot of the group metadata for the whole transaction. The coordinator fences a stale
        // generation, but a transactional offset commit WITHOUT a generation (-1, no member id) is
        // accepted for any group: that is what a consumer reports between learning, on its heartbeat
        // thread, that it was removed from the group (frozen, cut off) and its poll running the
        // partitions-lost callback. Found by the chaos suite: a worker woken from SIGSTOP committed
        // its stale answers in that window. No transaction until the group is joined again.
        ConsumerGroupMetadata group = consumer.groupMetadata();
        if (group.generationId() < 0 || group.memberId().isEmpty()) {
            lastError = new CommitFailedException("not a member of the consumer group now (removed, or rejoining):"
                    + " nothing is committed until it has joined again");
            return false;
        }
        batch.removeIf(a -> {
            if (ledger.owns(a.request())) {
                return false;
            }
            a.trace().revoked();   // its partition moved away (maybe while an earlier try was aborted): its owner answers it
            return true;
        });
        Set<TopicPartition> partitions = new HashSet<>(exact);
        for (Answer a : batch) {
            ledger.counted(a.request());   // answered in the offsets this very transaction commits
            partitions.add(a.request().partition());
        }
        partitions.retainAll(consumer.assignment());
        Map<TopicPartition, OffsetAndMetadata> offsets = ledger.committable(partitions);
        if (batch.isEmpty() && offsets.isEmpty()) {
            return true;
        }
        List<Answer> sent = List.copyOf(batch);
        try {
            producer.beginTransaction();
            for (Answer a : sent) {
                producer.send(new ProducerRecord<>(a.topic(), null, a.key(), a.value(), a.headers()), (m, e) -> {
                    if (e != null && neverWritable(e)) {
                        poisoned = new KafkaException("the broker refuses a terminal record for " + a.topic(), e);
                    }
                });
            }
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            commitTransaction();
            transactions.incrementAndGet();
            ledger.committed(offsets);
            batch.clear();   // publish() adds to incoming, never to batch: the batch is exactly what was sent
            for (Answer a : sent) {
                ledger.written(a.request());
                a.onWritten().run();
            }
            return true;
        } catch (ProducerFencedException e) {
            // Another live producer registered our transactional.id: this worker is the zombie.
            lastError = e;
            poisoned = e;
            ledger.commitFailed(offsets);
            failedTerminalSends.incrementAndGet();
            LOG.errorf("transactional.id %s was taken by another producer: this worker writes nothing more and reports"
                    + " itself not live (worker ids, hence transactional ids, must be unique per live worker)", transactionalId);
            return false;
        } catch (KafkaException e) {
            lastError = e;
            aborted.incrementAndGet();
            ledger.commitFailed(offsets);
            if (poisoned != null) {
                failedTerminalSends.incrementAndGet();
                LOG.errorf("a terminal record can never be written (%s): its prompt stays uncommitted and this worker"
                        + " reports itself not live", poisoned.getCause());
            }
            recover(consumer, e);
            return false;
        }
    }

    /** {@code commitTransaction}, retried when it times out (its outcome is then unknown, and a retry settles it). */
    private void commitTransaction() {
        for (int i = 1; ; i++) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (i == COMMIT_RETRIES) {
                    throw e;
                }
                LOG.warnf("transaction commit timed out, retrying: %s", e.toString());
            }
        }
    }

    /**
     * After a failed transaction: abort it (its answers stay in the batch for the next one). When the
     * producer cannot abort, or the commit's outcome is unknown, a new producer with the same id
     * settles the open transaction and the group's committed offsets say which answers it wrote.
     */
    private void recover(KafkaConsumer<byte[], byte[]> consumer, KafkaException cause) {
        boolean unknownOutcome = cause instanceof TimeoutException;
        if (!unknownOutcome) {
            try {
                producer.abortTransaction();
                LOG.warnf("transaction aborted, its %d answers go with the next one: %s", batch.size(), cause.toString());
                return;
            } catch (KafkaException abortFailed) {
                LOG.warnf("could not abort the transaction (%s): starting a new transactional producer", abortFailed.toString());
            }
        }
        producer.close(Duration.ZERO);
        producer = initialized();
        if (batch.isEmpty()) {
            return;
        }
        Set<TopicPartition> partitions = new HashSet<>();
        batch.forEach(a -> partitions.add(a.request().partition()));
        partitions.retainAll(consumer.assignment());
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(partitions, Duration.ofSeconds(30));
            int before = batch.size();
            batch.removeIf(a -> {
                if (PromptLedger.coveredBy(committed.get(a.request().partition()), a.request().offset())) {
                    ledger.written(a.request());
                    a.onWritten().run();   // the transaction whose outcome was unknown did commit
                    return true;
                }
                return false;
            });
            LOG.warnf("transaction outcome settled: %d of %d answers were written, the rest go with the next one",
                    before - batch.size(), before);
        } catch (KafkaException e) {
            // Cannot tell: resending could write an answer twice, dropping could lose one. Give up on
            // this worker; its partitions' next owner reads the committed offsets and knows.
            poisoned = new KafkaException("cannot settle a transaction of unknown outcome", e);
            failedTerminalSends.incrementAndGet();
            LOG.errorf("could not read the committed offsets to settle a transaction of unknown outcome (%s): this"
                    + " worker writes nothing more and reports itself not live", e.toString());
        }
    }

    /** A send error that no retry can cure: the record itself is refused. */
    private static boolean neverWritable(Exception e) {
        return e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException
                || e instanceof InvalidRecordException || e instanceof InvalidTopicException
                || e instanceof AuthorizationException;
    }

    @Override
    public KafkaException lastError() {
        return lastError;
    }

    @Override
    public boolean commitMayYetSucceed() {
        return poisoned == null;
    }

    @Override
    public Duration pollTimeout(Duration configured) {
        Duration interval = Duration.ofNanos(intervalNanos);
        return configured.compareTo(interval) < 0 ? configured : interval;
    }

    @Override
    public long failedTerminalSends() {
        return failedTerminalSends.get();
    }

    @Override
    public long transactionsCommitted() {
        return transactions.get();
    }

    @Override
    public long transactionsAborted() {
        return aborted.get();
    }

    @Override
    public void close() {
        closed = true;
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted", e);
        }
    }
}
