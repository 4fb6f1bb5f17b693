package dev.minitron.worker.kafka;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
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
 *
 * <p>Every commit also carries the partition's {@link AttemptJournal}: the offsets beyond the
 * watermark that were started, with their attempts and whether they are answered, merged with the
 * journal read from the committed offset at assignment ({@code prior}).
 */
public final class OffsetTracker {

    private static final class PartitionState {
        final long generation;
        final ArrayDeque<Long> pending = new ArrayDeque<>();
        final Set<Long> acked = new HashSet<>();
        final List<AttemptJournal.Run> prior;
        final TreeMap<Long, Integer> started = new TreeMap<>();   // offset -> attempt, this assignment
        final Set<Long> answered = new HashSet<>();               // started and acknowledged
        boolean dirty;           // the journal changed since the last commit was sent
        long next = -1;          // one past the highest offset tracked
        long requested = -1;     // the last watermark sent for commit
        long confirmed = -1;     // the last watermark the broker confirmed

        PartitionState(long generation, List<AttemptJournal.Run> prior) {
            this.generation = generation;
            this.prior = prior;
        }
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final int maxMetadataChars;
    private long generations;

    public OffsetTracker() {
        this(AttemptJournal.DEFAULT_MAX_CHARS);
    }

    /** @param maxMetadataChars the longest journal a commit may carry (broker: {@code offset.metadata.max.bytes}) */
    public OffsetTracker(int maxMetadataChars) {
        this.maxMetadataChars = maxMetadataChars;
    }

    /**
     * A partition was assigned; {@code committed} (null: none) is where its group stands, with the
     * journal of what earlier owners started beyond it.
     */
    public void assigned(TopicPartition tp, OffsetAndMetadata committed) {
        List<AttemptJournal.Run> prior = committed == null ? List.of()
                : AttemptJournal.decode(committed.offset(), committed.metadata());
        partitions.put(tp, new PartitionState(++generations, prior));
    }

    /** What an earlier owner recorded for this offset: its last attempt, answered or not; null: never started. */
    public AttemptJournal.Run prior(TopicPartition tp, long offset) {
        PartitionState s = partitions.get(tp);
        return s == null ? null : AttemptJournal.find(s.prior, offset);
    }

    /** The attempt number of a record started now: one more than any recorded before it. */
    public int nextAttempt(TopicPartition tp, long offset) {
        AttemptJournal.Run r = prior(tp, offset);
        return r == null ? 1 : r.attempt() + 1;
    }

    /** A tracked record is about to be handed to the engine as {@code attempt}; the journal must say so first. */
    public void started(TopicPartition tp, long offset, int attempt) {
        PartitionState s = partitions.get(tp);
        if (s != null) {
            s.started.put(offset, attempt);
            s.dirty = true;
        }
    }

    /** The journal to commit with the partition's watermark. */
    public String metadata(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        long w = watermark(tp);
        if (s == null || w < 0) {
            return "";
        }
        var mine = AttemptJournal.runsOf(s.started.tailMap(w, true), s.answered);
        return AttemptJournal.encode(w, AttemptJournal.union(AttemptJournal.from(s.prior, w), mine), maxMetadataChars);
    }

    /** A record was taken from this partition (offsets ascend); returns the token its answer must carry. */
    public long track(TopicPartition tp, long offset) {
        PartitionState s = partitions.computeIfAbsent(tp, k -> new PartitionState(++generations, List.of()));
        s.pending.addLast(offset);
        s.next = offset + 1;
        return s.generation;
    }

    /** Takes back the last tracked offset of a partition (the record was handed back to Kafka with a seek). */
    public void untrackLast(TopicPartition tp, long offset) {
        PartitionState s = partitions.get(tp);
        if (s != null && !s.pending.isEmpty() && s.pending.peekLast() == offset) {
            s.pending.pollLast();
            s.started.remove(offset);
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
        if (s.started.containsKey(offset)) {
            s.answered.add(offset);
            s.dirty = true;
        }
        while (!s.pending.isEmpty() && s.acked.remove(s.pending.peekFirst())) {
            long done = s.pending.pollFirst();
            s.started.remove(done);
            s.answered.remove(done);
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

    /** Watermarks that moved past the last one sent, or whose journal changed, for {@code commitAsync}; marks them sent. */
    public Map<TopicPartition, OffsetAndMetadata> takeCommittable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (var e : partitions.entrySet()) {
            long w = watermark(e.getKey());
            PartitionState s = e.getValue();
            if (w >= 0 && (w > s.requested || s.dirty)) {
                s.requested = w;
                s.dirty = false;
                out.put(e.getKey(), new OffsetAndMetadata(w, metadata(e.getKey())));
            }
        }
        return out;
    }

    /** The current watermarks and journals of some partitions, sent or not, marked sent: for a {@code commitSync}. */
    public Map<TopicPartition, OffsetAndMetadata> watermarks(Collection<TopicPartition> only) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : only) {
            long w = watermark(tp);
            PartitionState s = partitions.get(tp);
            if (w >= 0) {
                s.requested = Math.max(s.requested, w);
                s.dirty = false;
                out.put(tp, new OffsetAndMetadata(w, metadata(tp)));
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
            if (s != null) {
                s.dirty = true;   // the journal it carried may be lost too
                if (s.requested == o.offset()) {
                    s.requested = s.confirmed;
                }
            }
        });
    }

    /** Forgets a revoked partition (after its watermark was committed). */
    public void remove(TopicPartition tp) {
        partitions.remove(tp);
    }
}
