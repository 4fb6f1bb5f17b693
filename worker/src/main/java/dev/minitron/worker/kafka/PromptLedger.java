package dev.minitron.worker.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Every prompt record this worker holds, per partition, behind one small API: a record polled is
 * {@linkplain #take taken} (a {@link Ticket}, a {@link Take#HAND_BACK hand-back} or a
 * {@link Take#SKIP skip}); a ticket becomes a request in flight ({@link #open}); an answer closes it
 * ({@link #answered}); the ledger says what to commit ({@link #committable}, {@link #snapshot}) and
 * whether an answer may still be published ({@link #mayPublish}).
 *
 * <p>It owns the {@link OffsetTracker} (watermarks and the {@link AttemptJournal}), the idempotency
 * window ({@link RecentAnswers}) and the requests in flight by id. Poll thread only, except
 * {@link #inFlight(String)} and {@link #mayPublish}, which any thread may call.
 */
final class PromptLedger {

    /** What became of a polled record. */
    sealed interface Take permits Ticket, Take.Verdict {
        /** Not now: seek back to it and pause the partition. */
        Take HAND_BACK = Verdict.HAND_BACK;
        /** An earlier owner's answer to it was acknowledged (only its commit was lost): commit it, answer nothing. */
        Take SKIP = Verdict.SKIP;

        enum Verdict implements Take { HAND_BACK, SKIP }
    }

    /**
     * A record taken: it is pending in its partition until answered (or handed back).
     *
     * @param generation the assignment it was read in: an answer only counts for that assignment
     * @param attempt    one above every attempt an earlier owner recorded for it
     */
    record Ticket(TopicPartition partition, long offset, long generation, int attempt) implements Take {
    }

    private final OffsetTracker tracker;
    private final RecentAnswers recent;
    private final int maxUncommittedSpan;
    private final Map<String, InFlight> byId = new ConcurrentHashMap<>();

    PromptLedger(OffsetTracker tracker, RecentAnswers recent, int maxUncommittedSpan) {
        this.tracker = tracker;
        this.recent = recent;
        this.maxUncommittedSpan = maxUncommittedSpan;
    }

    /** A partition was assigned; {@code committed} (null: none) carries the journal of earlier owners. */
    void assigned(TopicPartition tp, OffsetAndMetadata committed) {
        tracker.assigned(tp, committed);
    }

    /**
     * Takes a polled record: a hand-back when it would pass {@code max-uncommitted-span} above the
     * watermark (a slow prompt holds it), a skip when an earlier owner's answer to it stands, else a
     * ticket.
     */
    Take take(TopicPartition tp, long offset) {
        if (tracker.span(tp, offset) > maxUncommittedSpan) {
            return Take.HAND_BACK;
        }
        AttemptJournal.Run prior = tracker.prior(tp, offset);
        if (prior != null && prior.done()) {
            skip(tp, offset);
            return Take.SKIP;
        }
        return new Ticket(tp, offset, tracker.track(tp, offset), tracker.nextAttempt(tp, offset));
    }

    /** A ticket whose record is handed back to Kafka (the engine cannot hold it yet). */
    void handBack(Ticket t) {
        tracker.untrackLast(t.partition(), t.offset());
    }

    /** A ticket closed without an answer: the very record answered before came back (same place). */
    void skip(Ticket t) {
        tracker.ack(t.partition(), t.offset(), t.generation());
    }

    private void skip(TopicPartition tp, long offset) {
        tracker.ack(tp, offset, tracker.track(tp, offset));
    }

    /** A request goes to the engine: the journal must say so before it starts. */
    void open(InFlight request) {
        byId.put(request.id(), request);
        tracker.started(request.partition(), request.offset(), request.attempt());
    }

    /** The request generating this id here, or null (any thread). */
    InFlight inFlight(String id) {
        return byId.get(id);
    }

    int inFlightCount() {
        return byId.size();
    }

    /**
     * Where an earlier record with this id was answered within the idempotency window, or null; a
     * request generating it now counts too ({@link RecentAnswers.Answer} with offset -1).
     */
    Duplicate duplicateOf(String id, TopicPartition tp, long offset, long nowMillis) {
        if (byId.containsKey(id)) {
            return new Duplicate(null, false);
        }
        RecentAnswers.Answer earlier = recent.get(id, nowMillis);
        if (earlier == null) {
            return null;
        }
        return new Duplicate(earlier, earlier.partition().equals(tp) && earlier.offset() == offset);
    }

    /**
     * @param earlier    the answer that stands, or null when the id is being generated right now
     * @param sameRecord the very record answered before came back: commit it, answer nothing
     */
    record Duplicate(RecentAnswers.Answer earlier, boolean sameRecord) {
    }

    /**
     * The request's terminal record is written for good (acknowledged, or its transaction committed):
     * its offset counts as answered, its id joins the idempotency window. Idempotent.
     */
    void answered(InFlight request) {
        counted(request);
        written(request);
    }

    /**
     * Exactly-once, before the transaction that writes the request's answer: its offset counts as
     * answered in the offsets that very transaction commits. If the transaction fails, the answer
     * goes with the next one, or — its partition moved away — is dropped with the partition's state.
     */
    void counted(InFlight request) {
        if (!request.revoked()) {
            tracker.ack(request.partition(), request.offset(), request.generation());
        }
    }

    /**
     * The request's answer is written for good: it leaves the requests in flight and its id joins the
     * idempotency window. Never before: a record that comes back to this worker after its answer's
     * transaction aborted must be answered, not skipped as answered.
     */
    void written(InFlight request) {
        if (request.id() != null) {
            byId.remove(request.id(), request);
        }
        if (!request.revoked() && request.id() != null && request.attempt() > 0) {
            recent.add(request.id(), new RecentAnswers.Answer(request.partition(), request.offset(),
                    request.attempt(), System.currentTimeMillis()));
        }
    }

    /** Whether the request's answer may still go out: its partition has not moved away (any thread). */
    boolean mayPublish(InFlight request) {
        return !request.revoked();
    }

    /**
     * Poll thread: whether the record is still this worker's in the assignment it was taken in. An
     * answer whose partition moved away, even if it came back since, is not this worker's to write:
     * the partition's owner answers it (rejected records, which no request stands for, included).
     */
    boolean owns(InFlight request) {
        return !request.revoked() && tracker.generation(request.partition()) == request.generation();
    }

    /** Forgets partitions that moved away; returns their requests in flight, each marked revoked. */
    List<InFlight> forget(Collection<TopicPartition> partitions) {
        List<InFlight> revoked = new ArrayList<>();
        for (InFlight r : List.copyOf(byId.values())) {
            if (partitions.contains(r.partition())) {
                r.revoke();
                byId.remove(r.id(), r);
                revoked.add(r);
            }
        }
        partitions.forEach(tracker::remove);
        return revoked;
    }

    /** Forgets the requests already revoked (given back before they reached the engine). */
    void forgetRevoked() {
        byId.values().removeIf(InFlight::revoked);
    }

    /** Forgets every request (shutdown), marking each revoked. */
    List<InFlight> revokeAll() {
        List<InFlight> all = List.copyOf(byId.values());
        all.forEach(InFlight::revoke);
        byId.clear();
        return all;
    }

    /** Watermarks (and journals) that changed since they were last offered, marked offered. */
    Map<TopicPartition, OffsetAndMetadata> committable() {
        return tracker.takeCommittable();
    }

    /** The exact watermarks and journals of these partitions now, marked offered. */
    Map<TopicPartition, OffsetAndMetadata> snapshot(Collection<TopicPartition> partitions) {
        return tracker.watermarks(partitions);
    }

    /** {@link #committable()} and the exact {@link #snapshot} of {@code exact}, in one map. */
    Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> exact) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>(tracker.takeCommittable());
        out.putAll(tracker.watermarks(exact));
        return out;
    }

    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        tracker.committed(offsets);
    }

    void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        tracker.commitFailed(offsets);
    }

    /** Whether an answer to this offset is covered by a committed offset and journal read back from the group. */
    static boolean coveredBy(OffsetAndMetadata committed, long offset) {
        if (committed == null) {
            return false;
        }
        if (offset < committed.offset()) {
            return true;
        }
        AttemptJournal.Run run = AttemptJournal.find(AttemptJournal.decode(committed.offset(), committed.metadata()), offset);
        return run != null && run.done();
    }

    /** Offsets tracked and not answered, over all partitions. */
    int numPending() {
        return tracker.numPending();
    }

    long uncommitted() {
        return tracker.uncommitted();
    }

    long watermark(TopicPartition tp) {
        return tracker.watermark(tp);
    }

    /** Whether the partition's next record would pass {@code max-uncommitted-span} above its watermark. */
    boolean spanFull(TopicPartition tp) {
        return tracker.uncommittedSpan(tp) >= maxUncommittedSpan;
    }
}
