package dev.minitron.worker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.jboss.logging.Logger;

/**
 * {@code minitron.delivery.guarantee=at-least-once}: each terminal record is sent at once by the
 * worker's idempotent {@code acks=all} producer, and its prompt's offset is committed by the
 * consumer ({@link OffsetCommits}) after the broker acknowledged it. A crash between the two repeats
 * the answer. Completions wait while the {@link PublicationLease} has lapsed: without transactions
 * nothing at the broker stops a worker that was fenced out of its group from writing, so the lease
 * (confirmed by offset commits the coordinator accepts) is how it learns to hold back.
 */
final class AtLeastOnceDelivery implements AnswerDelivery {

    private static final Logger LOG = Logger.getLogger(AtLeastOnceDelivery.class);

    private final KafkaProducer<byte[], byte[]> producer;   // shared with token events; closed by its owner
    private final PromptLedger ledger;
    private final PublicationLease lease;
    private final OffsetCommits commits;
    private final ConcurrentLinkedQueue<Answer> written = new ConcurrentLinkedQueue<>();
    private final AtomicLong failedTerminalSends = new AtomicLong();

    AtLeastOnceDelivery(KafkaProducer<byte[], byte[]> producer, PromptLedger ledger, PublicationLease lease) {
        this.producer = producer;
        this.ledger = ledger;
        this.lease = lease;
        this.commits = new OffsetCommits(ledger, lease);
    }

    @Override
    public void publish(Answer answer) {
        if (answer.completion()) {
            lease.publish(() -> send(answer));
        } else {
            send(answer);
        }
    }

    private void send(Answer a) {
        if (!ledger.mayPublish(a.request())) {   // lost while held: the partition's new owner answers it
            a.trace().revoked();
            return;
        }
        try {
            producer.send(new ProducerRecord<>(a.topic(), null, a.key(), a.value(), a.headers()), (metadata, e) -> {
                if (e == null) {
                    a.onWritten().run();
                    written.add(a);
                } else {
                    notWritten(a, e);
                }
            });
        } catch (RuntimeException e) {
            notWritten(a, e);
        }
    }

    private void notWritten(Answer a, Exception e) {
        failedTerminalSends.incrementAndGet();
        a.trace().notPublished(e.getClass().getSimpleName());
        LOG.errorf("the broker did not take a terminal record for %s (%s): its prompt stays uncommitted and"
                + " this worker reports itself not live", a.topic(), e.toString());
    }

    @Override
    public void afterPoll(KafkaConsumer<byte[], byte[]> consumer) {
        lease.releaseHeld();   // after the poll's commit and rebalance callbacks
        takeWritten();
        commits.commitAsync(consumer);
    }

    @Override
    public boolean commitNow(KafkaConsumer<byte[], byte[]> consumer, Collection<org.apache.kafka.common.TopicPartition> partitions) {
        takeWritten();
        return commits.commitSync(consumer, partitions);
    }

    private void takeWritten() {
        Answer a;
        while ((a = written.poll()) != null) {
            ledger.answered(a.request());
        }
    }

    @Override
    public KafkaException lastError() {
        return commits.lastError();
    }

    @Override
    public boolean commitMayYetSucceed() {
        return OffsetCommits.mayBeFenced(commits.lastError());
    }

    @Override
    public Duration pollTimeout(Duration configured) {
        return configured;
    }

    @Override
    public long failedTerminalSends() {
        return failedTerminalSends.get();
    }

    @Override
    public void close() {
    }
}
