package dev.minitron.worker.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which prompt offsets may be committed. Requests finish out of order, so each partition commits
 * its contiguous watermark: the lowest offset still unanswered (or one past the last one seen).
 *
 * <p>Invariants, per partition: {@code pending} holds every tracked offset not yet answered (its
 * lowest is the watermark); {@code done} holds the answered offsets above the watermark, whether
 * they were started or answered without the engine (an error event, a skip), so that the journal
 * marks them all answered and rejected records do not cut its runs. Every operation is
 * O(log n); offsets below the watermark are forgotten as it passes them. The span above the
 * watermark is bounded by the caller pausing the partition ({@link #span}). Each
 * assignment of a partition gets a new generation, and an answer only counts for the generation it
 * was tracked in, so a late answer from before a revoke can never mark a redelivered record done.
 * The poll thread is the only user.
 *
 * <p>Every commit also carries the partition's {@link AttemptJournal}: the offsets beyond the
 * watermark that were started, with their attempts and whether they are answered, merged with the
 * journal read from the committed offset at assignment ({@code prior}). Rebuilding the journal
 * costs time in the span, so a change of the journal alone (an answer above the watermark) is
 * offered for commit at most every {@code journalInterval}; a moved watermark at once, and
 * {@link #watermarks} (the synchronous commit before new work starts) is always exact.
 */
public final class OffsetTracker {

    /** The default least time between two asynchronous commits that only change the journal. */
    public static final long DEFAULT_JOURNAL_INTERVAL_NANOS = 100_000_000L;

    private static final class PartitionState {
        final long generation;
        final TreeSet<Long> pending = new TreeSet<>();
        final List<AttemptJournal.Run> prior;
        final TreeMap<Long, Integer> started = new TreeMap<>();   // offset -> attempt, this assignment
        final TreeSet<Long> done = new TreeSet<>();               // answered, above the watermark
        boolean dirty;           // the journal changed since the last commit was sent
        long next = -1;          // one past the highest offset tracked
        long requested = -1;     // the last watermark sent for commit
        long confirmed = -1;     // the last watermark the broker confirmed
        long sentNanos;          // when the last commit was offered
        boolean sentOnce;

        PartitionState(long generation, List<AttemptJournal.Run> prior) {
            this.generation = generation;
            this.prior = prior;
        }

        long watermark() {
            return next < 0 ? -1 : pending.isEmpty() ? next : pending.first();
        }

        /** Forgets what the watermark passed. */
        void trim() {
            long w = watermark();
            started.headMap(w).clear();
            done.headSet(w).clear();
        }
    }

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
    private final int maxMetadataChars;
    private final long journalIntervalNanos;
    private final LongSupplier clock;
    private long generations;

    public OffsetTracker() {
        this(AttemptJournal.DEFAULT_MAX_CHARS);
    }

    /** @param maxMetadataChars the longest journal a commit may carry (broker: {@code offset.metadata.max.bytes}) */
    public OffsetTracker(int maxMetadataChars) {
        this(maxMetadataChars, DEFAULT_JOURNAL_INTERVAL_NANOS, System::nanoTime);
    }

    /** @param journalIntervalNanos least time between asynchronous commits that only change the journal */
    public OffsetTracker(int maxMetadataChars, long journalIntervalNanos, LongSupplier clock) {
        this.maxMetadataChars = maxMetadataChars;
        this.journalIntervalNanos = journalIntervalNanos;
        this.clock = clock;
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
        var mine = AttemptJournal.runsOf(s.started.tailMap(w, true), s.done.tailSet(w, true));
        return AttemptJournal.encode(w, AttemptJournal.union(AttemptJournal.from(s.prior, w), mine), maxMetadataChars);
    }

    /** A record was taken from this partition (offsets ascend); returns the token its answer must carry. */
    public long track(TopicPartition tp, long offset) {
        PartitionState s = partitions.computeIfAbsent(tp, k -> new PartitionState(++generations, List.of()));
        s.pending.add(offset);
        s.next = offset + 1;
        return s.generation;
    }

    /**
     * How far above the watermark tracking {@code offset} would reach: {@code offset + 1 - watermark}
     * (0 when nothing is tracked). The caller pauses a partition whose span would pass its limit, so
     * a slow prompt at the watermark cannot make this state grow without bound.
     */
    public long span(TopicPartition tp, long offset) {
        long w = watermark(tp);
        return w < 0 ? 0 : Math.max(0, offset + 1 - w);
    }

    /** Offsets between the watermark and one past the highest tracked: {@code next - watermark} (0: none). */
    public long uncommittedSpan(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        return s == null || s.next < 0 ? 0 : s.next - s.watermark();
    }

    /** {@link #uncommittedSpan} summed over every partition. */
    public long uncommitted() {
        long n = 0;
        for (PartitionState s : partitions.values()) {
            n += s.next < 0 ? 0 : s.next - s.watermark();
        }
        return n;
    }

    /** Takes back the last tracked offset of a partition (the record was handed back to Kafka with a seek). */
    public void untrackLast(TopicPartition tp, long offset) {
        PartitionState s = partitions.get(tp);
        if (s != null && !s.pending.isEmpty() && s.pending.last() == offset) {
            s.pending.pollLast();
            s.started.remove(offset);
            s.done.remove(offset);
            s.next = offset;
        }
    }

    /** The record at this offset, tracked in {@code generation}, has its terminal answer acknowledged. */
    public void ack(TopicPartition tp, long offset, long generation) {
        PartitionState s = partitions.get(tp);
        if (s == null || s.generation != generation || !s.pending.remove(offset)) {
            return; // from an earlier assignment: the partition's owner answers it again
        }
        s.done.add(offset);
        s.dirty = true;
        s.trim();
    }

    /** Offsets tracked but not yet answered, over all partitions. */
    public int numPending() {
        int n = 0;
        for (PartitionState s : partitions.values()) {
            n += s.pending.size();
        }
        return n;
    }

    /** The generation of the partition's current assignment; -1 when it is not assigned here. */
    public long generation(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        return s == null ? -1 : s.generation;
    }

    /** The watermark of one partition: the next offset a restarted consumer must read. -1: none. */
    public long watermark(TopicPartition tp) {
        PartitionState s = partitions.get(tp);
        return s == null ? -1 : s.watermark();
    }

    /**
     * Watermarks that moved past the last one sent, or whose journal changed (at most every
     * {@code journalInterval}), for {@code commitAsync}; marks them sent.
     */
    public Map<TopicPartition, OffsetAndMetadata> takeCommittable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        long now = clock.getAsLong();
        for (var e : partitions.entrySet()) {
            PartitionState s = e.getValue();
            long w = s.watermark();
            boolean journalDue = s.dirty && (!s.sentOnce || now - s.sentNanos >= journalIntervalNanos);
            if (w >= 0 && (w > s.requested || journalDue)) {
                s.requested = w;
                s.dirty = false;
                s.sentOnce = true;
                s.sentNanos = now;
                out.put(e.getKey(), new OffsetAndMetadata(w, metadata(e.getKey())));
            }
        }
        return out;
    }

    /** The current watermarks and journals of some partitions, sent or not, marked sent: for a {@code commitSync}. */
    public Map<TopicPartition, OffsetAndMetadata> watermarks(Collection<TopicPartition> only) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        long now = clock.getAsLong();
        for (TopicPartition tp : only) {
            PartitionState s = partitions.get(tp);
            long w = s == null ? -1 : s.watermark();
            if (w >= 0) {
                s.requested = Math.max(s.requested, w);
                s.dirty = false;
                s.sentOnce = true;
                s.sentNanos = now;
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
