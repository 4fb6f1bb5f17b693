package dev.minitron.worker.kafka;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which prompt offsets may be committed. Requests finish out of order, so each partition commits
 * its contiguous watermark: the lowest offset still unanswered (or one past the last one seen).
 *
 * <p>Invariant: per partition, {@code pending} holds every tracked offset not yet known to lie below
 * the watermark, in ascending order; {@code acked} holds the answered ones among them. The poll
 * thread is the only user.
 */
public final class OffsetTracker {

    private static final class PartitionState {
        final ArrayDeque<Long> pending = new ArrayDeque<>();
        final Set<Long> acked = new HashSet<>();
        long next = -1;          // one past the highest offset tracked
        long committed = -1;     // the last watermark handed out for commit
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();

    /** A record was taken from this partition; offsets arrive in ascending order. */
    public void track(TopicPartition tp, long offset) {
        PartitionState s = partitions.computeIfAbsent(tp, k -> new PartitionState());
        s.pending.addLast(offset);
        s.next = offset + 1;
    }

    /** Takes back the last tracked offset of a partition (the record was handed back to Kafka with a seek). */
    public void untrackLast(TopicPartition tp, long offset) {
        PartitionState s = partitions.get(tp);
        if (s != null && !s.pending.isEmpty() && s.pending.peekLast() == offset) {
            s.pending.pollLast();
            s.next = offset;
        }
    }

    /** The record at this offset has its terminal answer acknowledged by the broker. */
    public void ack(TopicPartition tp, long offset) {
        PartitionState s = partitions.get(tp);
        if (s == null) {
            return; // partition revoked meanwhile: the new owner answers it again
        }
        s.acked.add(offset);
        while (!s.pending.isEmpty() && s.acked.remove(s.pending.peekFirst())) {
            s.pending.pollFirst();
        }
    }

    /** Offsets tracked but not yet answered, over all partitions. */
    public int numPending() {
        int n = 0;
        for (PartitionState s : partitions.values()) {
            n += s.pending.size();
        }
        return n;
    }

    public int numPending(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        return s == null ? 0 : s.pending.size();
    }

    /** The watermark of one partition: the next offset a restarted consumer must read. -1: none. */
    public long watermark(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        if (s == null || s.next < 0) {
            return -1;
        }
        return s.pending.isEmpty() ? s.next : s.pending.peekFirst();
    }

    /** Watermarks that moved since the last call, ready for {@code commitAsync}/{@code commitSync}. */
    public Map<TopicPartition, OffsetAndMetadata> takeCommittable() {
        return takeCommittable(partitions.keySet());
    }

    /** Like {@link #takeCommittable()}, for some partitions only. */
    public Map<TopicPartition, OffsetAndMetadata> takeCommittable(java.util.Collection<TopicPartition> only) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : only) {
            PartitionState s = partitions.get(tp);
            long w = watermark(tp);
            if (s != null && w > s.committed) {
                s.committed = w;
                out.put(tp, new OffsetAndMetadata(w));
            }
        }
        return out;
    }

    /** Forgets a revoked partition (after its watermark was committed). */
    public void remove(TopicPartition tp) {
        partitions.remove(tp);
    }
}
