package dev.minitron.worker.kafka;

import java.util.Collection;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/**
 * How terminal records reach the output topics and how the prompts' offsets follow them: the one
 * place the two guarantees of docs/delivery.md differ. {@link #publish} may be called from any thread
 * (the engine thread for completions, the poll thread for error events); everything else runs on the
 * poll thread, which alone touches the consumer. Either way an answer reaches the
 * {@link PromptLedger} ({@code answered}) on the poll thread, and offsets are committed only for
 * answers that are written.
 */
interface AnswerDelivery extends AutoCloseable {

    /** Any thread: send this answer (now, or with the next transaction). */
    void publish(Answer answer);

    /** Poll thread, after each poll: hand written answers to the ledger, commit what is due. */
    void afterPoll(KafkaConsumer<byte[], byte[]> consumer);

    /**
     * Poll thread: commit now, including the exact journal of {@code partitions} (before prompts
     * there start, before they are revoked, at shutdown). False when the commit failed.
     */
    boolean commitNow(KafkaConsumer<byte[], byte[]> consumer, Collection<TopicPartition> partitions);

    /** Why the last {@link #commitNow} failed. */
    KafkaException lastError();

    /**
     * Whether the last failed commit may succeed later (a rebalance, a fenced member, a broker away):
     * prompts waiting for it then wait for the next one instead of starting without their journal.
     */
    boolean commitMayYetSucceed();

    /** How long the poll may block so that due commits are not late. */
    java.time.Duration pollTimeout(java.time.Duration configured);

    /** Terminal records that can never be written here; non-zero means the worker must restart. */
    long failedTerminalSends();

    /** Transactions committed so far (0 without transactions). */
    default long transactionsCommitted() {
        return 0;
    }

    /** Transactions aborted so far (0 without transactions). */
    default long transactionsAborted() {
        return 0;
    }

    /** Poll thread: called once before the consumer subscribes (a transactional producer registers). */
    default void start() {
    }

    @Override
    void close();
}
