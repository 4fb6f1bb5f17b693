package dev.minitron.worker.kafka;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.mapping.AdmissionResult;
import dev.minitron.worker.mapping.RequestAdmission;
import dev.minitron.worker.metrics.KafkaClientMetricsBinder;
import dev.minitron.worker.metrics.PromptConsumerMetrics;
import dev.minitron.worker.metrics.RequestMetrics;
import dev.minitron.worker.tracing.EngineTracer;
import dev.minitron.worker.tracing.RequestTracer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Takes prompts from Kafka and hands them to the engine, on one thread that alone touches the
 * consumer. A prompt's offset is committed only after its terminal record (completion or error) is
 * acknowledged by the broker; each partition commits its contiguous watermark, with the
 * {@link AttemptJournal} of what was started beyond it, so a redelivery's attempt number is higher
 * than any before. A prompt is taken only when the engine can hold it ({@code maxInFlight},
 * {@link EngineCapacity}); otherwise its partition is rewound and paused and polling goes on, so the
 * backlog stays in Kafka and {@code max.poll.interval.ms} never expires because generation is slow.
 * An id in flight or answered lately ({@link RecentAnswers}) is not generated twice.
 */
@ApplicationScoped
public class PromptConsumer {

    private static final Logger LOG = Logger.getLogger(PromptConsumer.class);

    private final WorkerConfig config;
    private final KafkaSettings settings;
    private final ResultPublisher publisher;
    private final RequestAdmission admission;
    private final LlmEngine engine;
    private final OffsetTracker tracker;
    private final OffsetCommits commits;
    private final RecentAnswers recent;
    private final EngineCapacity capacity;
    private final AtomicInteger notStarted = new AtomicInteger();
    private final AtomicLong reservedBlocks = new AtomicLong();
    private final List<Start> toStart = new ArrayList<>();          // poll thread only
    private final ArrayDeque<Start> retry = new ArrayDeque<>();   // poll thread only
    private final ConcurrentLinkedQueue<InFlight> answered = new ConcurrentLinkedQueue<>();
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();   // by prompt id
    /** Partitions this worker paused, with the KV blocks their next record needs (0: waiting for the count). */
    private final Map<TopicPartition, Integer> paused = new HashMap<>();
    /** Assigned partitions whose committed offset and journal could not be read yet: paused until they are. */
    private final Set<TopicPartition> journalUnread = new HashSet<>();   // poll thread only
    private long nextJournalReadNanos;
    private volatile boolean running;
    private volatile boolean joined;
    private final AtomicLong admissions = new AtomicLong();
    private KafkaConsumer<byte[], byte[]> consumer;   // poll thread only
    private volatile Thread thread;

    private final CancelRegistry cancels;
    private final RequestMetrics requestMetrics;
    private final PromptConsumerMetrics metrics;
    private final KafkaClientMetricsBinder clientMetrics;
    private final RequestTracer tracer;
    private final EngineTracer engineTracer;

    public PromptConsumer(WorkerConfig config, KafkaSettings settings, ResultPublisher publisher,
                          RequestAdmission admission, EngineHolder engineHolder, CancelRegistry cancels,
                          RequestMetrics requestMetrics, PromptConsumerMetrics metrics,
                          KafkaClientMetricsBinder clientMetrics, RequestTracer tracer, EngineTracer engineTracer) {
        this.cancels = cancels;
        this.requestMetrics = requestMetrics;
        this.metrics = metrics;
        this.clientMetrics = clientMetrics;
        this.tracer = tracer;
        this.engineTracer = engineTracer;
        this.config = config;
        this.settings = settings;
        this.publisher = publisher;
        this.admission = admission;
        this.engine = engineHolder.engine();
        var consumerConfig = config.consumer();
        this.tracker = new OffsetTracker(consumerConfig.attemptJournalMaxBytes());
        this.commits = new OffsetCommits(tracker, publisher.lease());
        this.recent = new RecentAnswers(consumerConfig.idempotencyWindow().toMillis(), consumerConfig.idempotencyMaxIds());
        int maxWaiting = consumerConfig.maxWaiting() > 0 ? consumerConfig.maxWaiting() : config.engine().maxNumSeqs();
        this.capacity = new EngineCapacity(maxWaiting, config.engine().blockSize());
    }

    /** An accepted prompt between its admission and its hand-over to the engine. */
    private record Start(InFlight request, EngineRequest engineRequest) {
    }

    void onStart(@Observes StartupEvent event) {
        running = true;
        thread = Thread.ofPlatform().name("minitron-kafka-poll").unstarted(this::run);
        thread.start();
    }

    /** Runs before beans are destroyed: the poll loop sees the flag within one poll, drains, commits, leaves. */
    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        running = false;
        try {
            thread.join(config.worker().shutdownGrace().plusSeconds(15).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        revokeAllForShutdown();
    }

    /**
     * After the poll loop ended (or its join timed out, e.g. blocked in a broker call): every request
     * still here is revoked before the engine is closed, so the engine's abort-all at close is never
     * published as a {@code cancelled} completion. Their offsets are not committed: redelivered.
     */
    void revokeAllForShutdown() {
        inFlight.values().forEach(InFlight::revoke);
    }

    /** Whether the consumer has joined its group at least once (so Kafka is reachable). */
    public boolean joined() {
        return joined;
    }

    public boolean pollLoopAlive() {
        return thread != null && thread.isAlive();
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    /**
     * Aborts the request with this prompt id if this worker is generating it (any thread). The
     * engine answers it {@code cancelled} within one step; its offset commits like any answer.
     */
    public void cancel(String id) {
        InFlight request = inFlight.get(id);
        if (request != null && !request.revoked()) {
            engine.abort(request.engineRequestId(), FinishReason.CANCELLED);
        }
    }

    private void run() {
        int max = config.consumer().maxInFlight();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(settings.consumer(config.consumer().groupId(),
                Math.min(500, max)));
             AutoCloseable clientMetricsBinding = clientMetrics.bind(c)) {
            consumer = c;
            c.subscribe(List.of(config.topics().prompts()), new Rebalance());
            while (running) {
                if (!engine.stats().alive()) {
                    LOG.error("the engine has stopped: this worker gives its partitions back to the group");
                    break;
                }
                var records = c.poll(config.consumer().pollTimeout());
                publisher.lease().releaseHeld();   // after the poll's commit and rebalance callbacks
                takeAnswers();   // first: a record polled now may repeat an id answered meanwhile
                readUnreadJournals(c);
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (journalUnread.contains(tp)) {
                        if (!paused.containsKey(tp)) {
                            handBack(c, tp, r.offset(), 0);   // not before its journal is read
                        }
                    } else if (!paused.containsKey(tp)) {
                        handle(c, r);
                    }
                }
                startAll(c);
                commits.commitAsync(c);
                applyBackpressure(c, max);
                publishMetrics(c);
            }
            drain(c);
        } catch (Exception e) {
            LOG.error("the Kafka poll loop stopped", e);
        }
    }

    private void handle(KafkaConsumer<byte[], byte[]> c, ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (tracker.span(tp, r.offset()) > config.consumer().maxUncommittedSpan()) {
            handBack(c, tp, r.offset(), 0);   // a slow prompt holds the watermark: wait for it
            return;
        }
        AttemptJournal.Run prior = tracker.prior(tp, r.offset());
        if (prior != null && prior.done()) {
            skipAnswered(tp, r.offset());   // an earlier owner's answer was acknowledged; only its commit was lost
            return;
        }
        if (inFlight.size() >= config.consumer().maxInFlight() || !retry.isEmpty()) {
            handBack(c, tp, r.offset(), 0);   // the cap is exact, whatever the size of the poll batch
            return;
        }
        long begin = tracer.begin();
        AdmissionResult result = admission.admit(r);
        if (result instanceof AdmissionResult.Accepted a) {
            AdmissionResult duplicate = checkDuplicate(r, tp, a.id());
            if (duplicate == SAME_RECORD) {
                skipAnswered(tp, r.offset());
                return;
            }
            if (duplicate != null) {
                result = duplicate;
            }
        }
        if (result instanceof AdmissionResult.Rejected rejected) {
            long generation = tracker.track(tp, r.offset());
            InFlight record = InFlight.rejected(tp, r.offset(), generation, r.timestamp());
            var traceHeaders = tracer.rejected(r, begin, rejected.error().code().wireName());
            publisher.error(rejected.error(), r.key(), traceHeaders, () -> answered.add(record));
            return;
        }
        var accepted = (AdmissionResult.Accepted) result;
        int need = capacity.blocksFor(accepted.request().promptTokenIds().length);
        if (!capacity.admits(engine.stats(), notStarted.get(), reservedBlocks.get(), need)) {
            handBack(c, tp, r.offset(), need);   // the engine cannot hold it yet: Kafka keeps it
            return;
        }
        long generation = tracker.track(tp, r.offset());
        int attempt = tracker.nextAttempt(tp, r.offset());
        // The engine id is unique per admission: a redelivery of the same record never meets an
        // aborted earlier attempt that is still inside the engine.
        var engineRequest = accepted.request().withRequestId(
                InFlight.engineRequestId(accepted.id(), tp, r.offset(), admissions.incrementAndGet()));
        InFlight request = new InFlight(tp, r.offset(), generation, accepted.id(), engineRequest.requestId(), attempt,
                accepted.stream(), accepted.metadata(), accepted.recordTime().toEpochMilli(), need);
        request.trace(tracer.accepted(r, begin, accepted.id(), attempt, engineRequest));
        inFlight.put(request.id(), request);
        notStarted.incrementAndGet();
        reservedBlocks.addAndGet(need);
        tracker.started(tp, r.offset(), attempt);
        toStart.add(new Start(request, engineRequest));
    }

    /** Marker: the very record answered before (same partition and offset), redelivered. */
    private static final AdmissionResult SAME_RECORD = new AdmissionResult.Rejected(null);   // compared by identity only

    /**
     * A prompt whose id is being generated, or was answered within the idempotency window from
     * another record, is not generated again: it gets a {@code duplicate_id} error event. The same
     * record coming back (a partition revoked and assigned again before its watermark passed it) is
     * no duplicate: its answer stands and it is only committed.
     */
    private AdmissionResult checkDuplicate(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, String id) {
        if (inFlight.containsKey(id)) {
            return admission.duplicate(r, id, "a request with id " + id + " is being generated right now;"
                    + " this record is not generated (the first one will be answered)");
        }
        RecentAnswers.Answer earlier = recent.get(id, System.currentTimeMillis());
        if (earlier == null) {
            return null;
        }
        if (earlier.partition().equals(tp) && earlier.offset() == r.offset()) {
            return SAME_RECORD;
        }
        long ago = Math.max(0, System.currentTimeMillis() - earlier.answeredAtMillis()) / 1000;
        return admission.duplicate(r, id, "request " + id + " was answered " + ago + " s ago (attempt "
                + earlier.attempt() + ", prompt at " + earlier.partition() + " offset " + earlier.offset()
                + "); its completion stands and this record is not generated again");
    }

    /** Commits a record without answering it again. */
    private void skipAnswered(TopicPartition tp, long offset) {
        long generation = tracker.track(tp, offset);
        tracker.ack(tp, offset, generation);
    }

    /**
     * Hands this poll's accepted prompts to the engine, after committing the journal that says they
     * were started: whoever reads the partition after a crash then numbers their next attempt higher.
     * One synchronous commit per poll batch that starts work, not one per prompt.
     */
    private void startAll(KafkaConsumer<byte[], byte[]> c) {
        List<Start> again = List.copyOf(retry);
        retry.clear();
        again.forEach(this::start);
        if (toStart.isEmpty()) {
            return;
        }
        Set<TopicPartition> partitions = new HashSet<>();
        toStart.forEach(s -> partitions.add(s.request().partition()));
        if (!commits.commitSync(c, partitions)) {
            if (OffsetCommits.mayBeFenced(commits.lastError())) {
                // Not started without the journal: a worker that cannot commit may have been fenced (cut
                // off, frozen), and the partition's next owner would start the same prompts at the same
                // attempt. They wait for the next poll's commit; a revocation meanwhile drops them.
                LOG.warnf("the attempt journal was not committed: %d prompts wait for the next commit", toStart.size());
                return;
            }
            // A commit that can never succeed (authorization, metadata too large): waiting would stop
            // the worker for good; start, as the journal's coarse numbering allows (delivery.md).
            LOG.warn("the attempt journal was not committed: after a crash these prompts may repeat an attempt number");
        }
        toStart.forEach(this::start);
        toStart.clear();
    }

    private void start(Start s) {
        InFlight request = s.request();
        if (request.revoked()) {
            release(request);
            request.trace().revoked();
            return;
        }
        try {
            RequestSink answers = requestMetrics.observe(request.millisBeforeEngine(), request::revoked,
                    publisher.sinkFor(request, answered::add));
            // Before the hand-over: the engine may schedule it at once. A refused hand-over is retried
            // and shows as a second "queued" event.
            engineTracer.track(request.engineRequestId(), request.trace());
            request.trace().handedToEngine(System.nanoTime());
            engine.addRequest(s.engineRequest(), output -> {
                release(request);
                if (output instanceof RequestOutput.Finished) {
                    engineTracer.forget(request.engineRequestId());
                }
                answers.accept(output);
            });
            if (cancels.contains(request.id(), System.currentTimeMillis())) {
                engine.abort(request.engineRequestId(), FinishReason.CANCELLED);   // cancelled before it started
            }
        } catch (RejectedExecutionException | IllegalStateException notTaken) {
            engineTracer.untrack(request.engineRequestId());
            retry.add(s);   // queue full (or engine stopping): no new prompts until it is taken
        }
    }

    /** The request started (or will never start here): its KV reservation ends. Once per request. */
    private void release(InFlight request) {
        if (request.begin()) {
            notStarted.decrementAndGet();
            reservedBlocks.addAndGet(-request.blocks());
        }
    }

    /**
     * Seeks the partition back to this record and pauses it: Kafka keeps it until there is room.
     * {@code needBlocks}: the KV blocks the record needs (0 when it waits for the in-flight count).
     */
    private void handBack(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long offset, int needBlocks) {
        c.seek(tp, offset);
        c.pause(List.of(tp));
        paused.put(tp, needBlocks);
    }

    private void takeAnswers() {
        InFlight done;
        while ((done = answered.poll()) != null) {
            if (done.id() != null) {
                inFlight.remove(done.id(), done);
            }
            if (!done.revoked()) {
                tracker.ack(done.partition(), done.offset(), done.generation());
                if (done.id() != null) {
                    recent.add(done.id(), new RecentAnswers.Answer(done.partition(), done.offset(), done.attempt(),
                            System.currentTimeMillis()));
                }
            }
        }
    }

    /**
     * Pauses every partition at the in-flight cap; resumes a paused partition once its next record
     * would be taken: below 3/4 of the cap (hysteresis, so a partition is not fetched for one record
     * at a time) and, for a record that waited for KV room, once the engine has it.
     */
    private void applyBackpressure(KafkaConsumer<byte[], byte[]> c, int max) {
        Set<TopicPartition> assigned = c.assignment();
        paused.keySet().retainAll(assigned);
        if (inFlight.size() >= max || !retry.isEmpty()) {
            Set<TopicPartition> toPause = new HashSet<>(assigned);
            toPause.removeAll(paused.keySet());
            if (!toPause.isEmpty()) {
                c.pause(toPause);
                toPause.forEach(tp -> paused.put(tp, 0));
            }
            return;
        }
        if (paused.isEmpty()) {
            return;
        }
        var stats = engine.stats();
        List<TopicPartition> resume = new ArrayList<>();
        for (var e : paused.entrySet()) {
            if (journalUnread.contains(e.getKey())) {
                continue;
            }
            int limit = e.getValue() == 0 ? Math.max(1, max * 3 / 4) : max;
            if (inFlight.size() < limit && !spanFull(e.getKey())
                    && capacity.admits(stats, notStarted.get(), reservedBlocks.get(), e.getValue())) {
                resume.add(e.getKey());
            }
        }
        if (!resume.isEmpty()) {
            c.resume(resume);
            resume.forEach(paused::remove);
        }
    }

    /** The loop's numbers for /q/metrics: a few volatile writes, and the partitions' lag every few seconds. */
    private void publishMetrics(KafkaConsumer<byte[], byte[]> c) {
        long now = System.nanoTime();
        metrics.loop(now, paused.size(), inFlight.size(), tracker.uncommitted());
        if (metrics.lagDue(now)) {
            metrics.refreshLag(c, now, tracker::watermark);
        }
    }

    /** Whether the partition's next record would pass {@code max-uncommitted-span} above its watermark. */
    private boolean spanFull(TopicPartition tp) {
        return tracker.uncommittedSpan(tp) >= config.consumer().maxUncommittedSpan();
    }

    /** Shutdown: stop fetching, let in-flight requests finish within the grace period, give the rest back. */
    private void drain(KafkaConsumer<byte[], byte[]> c) {
        c.pause(c.assignment());
        // Requests the engine refused to queue are never started by drain: give them back now
        // (redelivered) instead of waiting the whole grace period for them.
        int givenBack = releaseRetries();   // their offsets stay pending in the tracker: never answered here
        long deadline = System.nanoTime() + config.worker().shutdownGrace().toNanos();
        // Wait for generations and for error events still waiting for the broker's acknowledgement.
        while ((!inFlight.isEmpty() || tracker.numPending() > givenBack) && engine.stats().alive()
                && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(50));   // keeps the group membership alive while paused
            publisher.lease().releaseHeld();
            takeAnswers();
            commits.commitAsync(c);
        }
        takeAnswers();
        if (!inFlight.isEmpty()) {
            LOG.infof("%d requests left unanswered for redelivery", inFlight.size());
            revoke(inFlight.values());
        }
        commits.commitSync(c, c.assignment());
        LOG.info("prompt consumer drained and committed");
    }

    /** Revokes every request waiting in {@code retry} or {@code toStart} (never handed to the engine), forgets it, returns how many. */
    private int releaseRetries() {
        retry.addAll(toStart);   // admitted but not journaled, so never started either
        toStart.clear();
        int n = retry.size();
        for (Start st : retry) {
            InFlight r = st.request();
            r.revoke();
            inFlight.remove(r.id(), r);
            release(r);
            r.trace().revoked();
        }
        retry.clear();
        return n;
    }

    private void revoke(Collection<InFlight> requests) {
        for (InFlight r : List.copyOf(requests)) {
            r.revoke();
            inFlight.remove(r.id(), r);
            engine.abort(r.engineRequestId(), FinishReason.CANCELLED);
        }
        java.util.function.Predicate<Start> dropRevoked = s -> {
            if (s.request().revoked()) {
                release(s.request());   // never reached the engine
                s.request().trace().revoked();
                return true;
            }
            return false;
        };
        retry.removeIf(dropRevoked);
        toStart.removeIf(dropRevoked);
    }

    /**
     * Tries again (at most every 5 s) to read the committed offsets of partitions whose read failed
     * at assignment; resumes them once read. Without the journal a redelivered prompt would restart
     * at attempt 1 and an answered one would be answered again.
     */
    private void readUnreadJournals(KafkaConsumer<byte[], byte[]> c) {
        if (journalUnread.isEmpty() || System.nanoTime() - nextJournalReadNanos < 0) {
            return;
        }
        journalUnread.retainAll(c.assignment());
        if (journalUnread.isEmpty()) {
            return;
        }
        try {
            var committed = c.committed(Set.copyOf(journalUnread), Duration.ofSeconds(2));
            journalUnread.forEach(tp -> tracker.assigned(tp, committed.get(tp)));
            c.resume(journalUnread.stream().filter(tp -> !paused.containsKey(tp)).toList());
            LOG.infof("read the attempt journal of %s; resumed", journalUnread);
            journalUnread.clear();
        } catch (KafkaException e) {
            nextJournalReadNanos = System.nanoTime() + 5_000_000_000L;
            LOG.warnf("still cannot read the attempt journal of %s (kept paused): %s", journalUnread, e.toString());
        }
    }

    private void forget(Collection<TopicPartition> partitions) {
        journalUnread.removeAll(partitions);
        revoke(inFlight.values().stream().filter(r -> partitions.contains(r.partition())).toList());
        partitions.forEach(tracker::remove);
        paused.keySet().removeAll(partitions);
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            joined = true;
            if (partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed;
            try {
                committed = consumer.committed(Set.copyOf(partitions), Duration.ofSeconds(10));
            } catch (KafkaException e) {
                // Without the journal, attempts would restart at 1 and answered prompts be answered again.
                LOG.warnf("could not read the attempt journal of %s: they stay paused until it can be read: %s",
                        partitions, e.toString());
                consumer.pause(partitions);
                journalUnread.addAll(partitions);
                nextJournalReadNanos = System.nanoTime() + 1_000_000_000L;
                return;
            }
            for (TopicPartition tp : partitions) {
                tracker.assigned(tp, committed.get(tp));
            }
            LOG.infof("assigned %s", partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            takeAnswers();
            commits.commitSync(consumer, partitions);
            forget(partitions);
            LOG.infof("revoked %s", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
            LOG.warnf("lost %s", partitions);
        }
    }
}
