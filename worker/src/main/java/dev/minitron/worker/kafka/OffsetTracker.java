package dev.minitron.worker.kafka;

import java.util.ArrayDeque;
import java.util.Collection;
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
 * <p>Invariants, per partition: {@code pending} holds, in ascending order, every tracked offset not
 * yet below the watermark; {@code acked} holds only offsets that are in {@code pending}. Each
 * assignment of a partition gets a new generation, and an answer only counts for the generation it
 * was tracked in, so a late answer from before a revoke can never mark a redelivered record done.
 * The poll thread is the only user.
 */
public final class OffsetTracker {

    private static final class PartitionState {
        final long generation;
        final ArrayDeque<Long> pending = new ArrayDeque<>();
        final Set<Long> acked = new HashSet<>();
        long next = -1;          // one past the highest offset tracked
        long requested = -1;     // the last watermark sent for commit
        long confirmed = -1;     // the last watermark the broker confirmed

        PartitionState(long generation) {
            this.generation = generation;
        }
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private long generations;

    /** A record was taken from this partition (offsets ascend); returns the token its answer must carry. */
    public long track(TopicPartition tp, long offset) {
        PartitionState s = partitions.computeIfAbsent(tp, k -> new PartitionState(++generations));
        s.pending.addLast(offset);
        s.next = offset + 1;
        return s.generation;
    }

    /** Takes back the last tracked offset of a partition (the record was handed back to Kafka with a seek). */
    public void untrackLast(TopicPartition tp, long offset) {
        PartitionState s = partitions.get(tp);
        if (s != null && !s.pending.isEmpty() && s.pending.peekLast() == offset) {
            s.pending.pollLast();
            s.next = offset;
        }
    }

    /** The record at this offset, tracked in {@code generation}, has its terminal answer acknowledged. */
    public void ack(TopicPartition tp, long offset, long generation) {
        PartitionState s = partitions.get(tp);
        if (s == null || s.generation != generation || !s.pending.contains(offset)) {
            return; // from an earlier assignment: the partition's owner answers it again
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

    /** The watermark of one partition: the next offset a restarted consumer must read. -1: none. */
    public long watermark(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        if (s == null || s.next < 0) {
            return -1;
        }
        return s.pending.isEmpty() ? s.next : s.pending.peekFirst();
    }

    /** Watermarks that moved past the last one sent, for {@code commitAsync}; marks them sent. */
    public Map<TopicPartition, OffsetAndMetadata> takeCommittable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (var e : partitions.entrySet()) {
            long w = watermark(e.getKey());
            if (w > e.getValue().requested) {
                e.getValue().requested = w;
                out.put(e.getKey(), new OffsetAndMetadata(w));
            }
        }
        return out;
    }

    /** The current watermarks of some partitions, sent or not: for a final {@code commitSync}. */
    public Map<TopicPartition, OffsetAndMetadata> watermarks(Collection<TopicPartition> only) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : only) {
            long w = watermark(tp);
            if (w >= 0) {
                out.put(tp, new OffsetAndMetadata(w));
            }
        }
        return out;
    }

    /** The broker confirmed these commits. */
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            PartitionState s = partitions.get(tp);
            if (s != null) {
                s.confirmed = Math.max(s.confirmed, o.offset());
            }
        });
    }

    /** These commits failed: send the watermark again next time. */
    public void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            PartitionState s = partitions.get(tp);
            if (s != null && s.requested == o.offset()) {
                s.requested = s.confirmed;
            }
        });
    }

    /** Forgets a revoked partition (after its watermark was committed). */
    public void remove(TopicPartition tp) {
        partitions.remove(tp);
    }
}
