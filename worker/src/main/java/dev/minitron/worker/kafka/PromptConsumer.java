package dev.minitron.worker.kafka;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.engine.WorkerIdentity;
import dev.minitron.worker.mapping.AdmissionResult;
import dev.minitron.worker.mapping.RequestAdmission;
import dev.minitron.worker.metrics.KafkaClientMetricsBinder;
import dev.minitron.worker.metrics.PromptConsumerMetrics;
import dev.minitron.worker.metrics.RequestMetrics;
import dev.minitron.worker.tracing.FirstTokenHops;
import dev.minitron.worker.tracing.EngineTracer;
import dev.minitron.worker.tracing.RequestTracer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Takes prompts from Kafka and hands them to the engine, on one thread that alone touches the
 * consumer. Each polled record goes to the {@link PromptLedger} (a ticket, a hand-back or a skip),
 * then to {@link RequestAdmission} (an engine request or an error event), then, once the engine can
 * hold it ({@code max-in-flight}, {@link EngineHandOff}), to the engine — after the journal that
 * says it started is committed, so a redelivery's attempt is higher than any before. Its answer runs
 * one way: engine → {@link RequestMetrics} → {@link ResultPublisher} → {@link AnswerDelivery} → the
 * ledger, which commits the offset only once the answer is written (at-least-once: acknowledged;
 * exactly-once: in the same transaction). What the engine cannot hold stays in Kafka (rewound and
 * paused) and polling goes on, so {@code max.poll.interval.ms} never expires because generation is slow.
 */
@ApplicationScoped
public class PromptConsumer {

    private static final Logger LOG = Logger.getLogger(PromptConsumer.class);

    private final WorkerConfig config;
    private final KafkaSettings settings;
    private final ResultPublisher publisher;
    private final RequestAdmission admission;
    private final LlmEngine engine;
    private final PromptLedger ledger;
    private final AnswerDelivery delivery;
    private final EngineHandOff handOff;
    private final CancelRegistry cancels;
    private final RequestMetrics requestMetrics;
    private final PromptConsumerMetrics metrics;
    private final KafkaClientMetricsBinder clientMetrics;
    private final RequestTracer tracer;
    private final EngineTracer engineTracer;
    private final AtomicLong admissions = new AtomicLong();
    /** Partitions this worker paused, with the KV blocks their next record needs (0: waiting for the count). */
    private final Map<TopicPartition, Integer> paused = new HashMap<>();   // poll thread only
    /** Assigned partitions whose committed offset and journal could not be read yet: paused until they are. */
    private final Set<TopicPartition> journalUnread = new HashSet<>();   // poll thread only
    private long nextJournalReadNanos;
    private volatile boolean running;
    private volatile boolean joined;
    private KafkaConsumer<byte[], byte[]> consumer;   // poll thread only
    private volatile Thread thread;

    public PromptConsumer(WorkerConfig config, KafkaSettings settings, ResultPublisher publisher,
                          RequestAdmission admission, EngineHolder engineHolder, CancelRegistry cancels,
                          WorkerIdentity identity, RequestMetrics requestMetrics, PromptConsumerMetrics metrics,
                          KafkaClientMetricsBinder clientMetrics, RequestTracer tracer, EngineTracer engineTracer) {
        this.config = config;
        this.settings = settings;
        this.publisher = publisher;
        this.admission = admission;
        this.engine = engineHolder.engine();
        this.cancels = cancels;
        this.requestMetrics = requestMetrics;
        this.metrics = metrics;
        this.clientMetrics = clientMetrics;
        this.tracer = tracer;
        this.engineTracer = engineTracer;
        var consumerConfig = config.consumer();
        this.ledger = new PromptLedger(new OffsetTracker(consumerConfig.attemptJournalMaxBytes()),
                new RecentAnswers(consumerConfig.idempotencyWindow().toMillis(), consumerConfig.idempotencyMaxIds()),
                consumerConfig.maxUncommittedSpan());
        this.delivery = delivery(config, settings, identity, publisher, ledger);
        int maxWaiting = consumerConfig.maxWaiting() > 0 ? consumerConfig.maxWaiting() : config.engine().maxNumSeqs();
        this.handOff = new EngineHandOff(engine, new EngineCapacity(maxWaiting, config.engine().blockSize()));
    }

    private static AnswerDelivery delivery(WorkerConfig config, KafkaSettings settings, WorkerIdentity identity,
                                           ResultPublisher publisher, PromptLedger ledger) {
        var d = config.delivery();
        return switch (DeliveryGuarantee.parse(d.guarantee())) {
            case AT_LEAST_ONCE -> new AtLeastOnceDelivery(publisher.producer(), ledger,
                    PublicationLease.forConsumer(settings.consumer("lease", 1)));
            case EXACTLY_ONCE -> {
                String transactionalId = d.transactionalId()
                        .orElse(config.consumer().groupId() + "-" + identity.id());
                var producerSettings = settings.transactionalProducer("minitron-worker-tx-" + identity.id(),
                        transactionalId, d.transactionTimeout());
                yield new ExactlyOnceDelivery(() -> new KafkaProducer<>(producerSettings), transactionalId, ledger,
                        d.commitInterval(), d.commitMaxAnswers());
            }
        };
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
        delivery.close();
    }

    /**
     * After the poll loop ended (or its join timed out, e.g. blocked in a broker call): every request
     * still here is revoked before the engine is closed, so the engine's abort-all at close is never
     * published as a {@code cancelled} completion. Their offsets are not committed: redelivered.
     */
    void revokeAllForShutdown() {
        ledger.revokeAll();
    }

    /** Whether the consumer has joined its group at least once (so Kafka is reachable). */
    public boolean joined() {
        return joined;
    }

    public boolean pollLoopAlive() {
        return thread != null && thread.isAlive();
    }

    public int inFlightCount() {
        return ledger.inFlightCount();
    }

    /** Terminal records that can never be written; non-zero means the worker must restart. */
    public long failedTerminalSends() {
        return delivery.failedTerminalSends() + publisher.failedCompletions();
    }

    /**
     * Aborts the request with this prompt id if this worker is generating it (any thread). The
     * engine answers it {@code cancelled} within one step; its offset commits like any answer.
     */
    public void cancel(String id) {
        InFlight request = ledger.inFlight(id);
        if (request != null && !request.revoked()) {
            engine.abort(request.engineRequestId(), FinishReason.CANCELLED);
        }
    }

    private void run() {
        int max = config.consumer().maxInFlight();
        Duration pollTimeout = delivery.pollTimeout(config.consumer().pollTimeout());
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(settings.consumer(config.consumer().groupId(),
                Math.min(500, max)));
             AutoCloseable clientMetricsBinding = clientMetrics.bind(c)) {
            consumer = c;
            delivery.start();
            c.subscribe(List.of(config.topics().prompts()), new Rebalance());
            while (running) {
                if (!engine.stats().alive()) {
                    LOG.error("the engine has stopped: this worker gives its partitions back to the group");
                    break;
                }
                var records = c.poll(pollTimeout);
                long polledMicros = records.isEmpty() ? 0 : FirstTokenHops.nowMicros();
                // First: answers written meanwhile reach the ledger, so a record polled now that repeats
                // an id answered meanwhile is seen as the duplicate it is.
                delivery.afterPoll(c);
                readUnreadJournals(c);
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (paused.containsKey(tp)) {
                        continue;   // handed back earlier in this batch: fetched again when resumed
                    }
                    if (journalUnread.contains(tp)) {
                        handBack(c, tp, r.offset(), 0);   // not before its journal is read
                    } else {
                        handle(c, r, polledMicros);
                    }
                }
                startQueued(c);
                applyBackpressure(c, max);
                publishMetrics(c);
            }
            drain(c);
        } catch (Exception e) {
            LOG.error("the Kafka poll loop stopped", e);
        }
    }

    private void handle(KafkaConsumer<byte[], byte[]> c, ConsumerRecord<byte[], byte[]> r, long polledMicros) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (ledger.inFlightCount() >= config.consumer().maxInFlight() || handOff.hasRefused()) {
            handBack(c, tp, r.offset(), 0);   // the cap is exact, whatever the size of the poll batch
            return;
        }
        PromptLedger.Take take = ledger.take(tp, r.offset());
        if (take == PromptLedger.Take.HAND_BACK) {
            handBack(c, tp, r.offset(), 0);   // a slow prompt holds the watermark: wait for it
            return;
        }
        if (!(take instanceof PromptLedger.Ticket ticket)) {
            return;   // an earlier owner's answer was written; only its commit was lost
        }
        long begin = tracer.begin();
        AdmissionResult result = admission.admit(r);
        if (result instanceof AdmissionResult.Accepted a) {
            var duplicate = ledger.duplicateOf(a.id(), tp, r.offset(), System.currentTimeMillis());
            if (duplicate != null && duplicate.sameRecord()) {
                ledger.skip(ticket);   // the very record answered before: its answer stands
                return;
            }
            if (duplicate != null) {
                result = admission.duplicate(r, a.id(), duplicateMessage(a.id(), duplicate.earlier()));
            }
        }
        if (result instanceof AdmissionResult.Rejected rejected) {
            var record = InFlight.rejected(tp, r.offset(), ticket.generation(), r.timestamp());
            var traceHeaders = tracer.rejected(r, begin, rejected.error().code().wireName());
            publisher.error(rejected.error(), r.key(), traceHeaders, record, delivery);
            return;
        }
        var accepted = (AdmissionResult.Accepted) result;
        int need = handOff.blocksFor(accepted.request().promptTokenIds().length);
        if (!handOff.admits(need)) {
            ledger.handBack(ticket);
            handBack(c, tp, r.offset(), need);   // the engine cannot hold it yet: Kafka keeps it
            return;
        }
        // The engine id is unique per admission: a redelivery of the same record never meets an
        // aborted earlier attempt that is still inside the engine.
        var engineRequest = accepted.request().withRequestId(
                InFlight.engineRequestId(accepted.id(), tp, r.offset(), admissions.incrementAndGet()));
        InFlight request = new InFlight(tp, r.offset(), ticket.generation(), accepted.id(), engineRequest.requestId(),
                ticket.attempt(), accepted.stream(), accepted.metadata(), accepted.recordTime().toEpochMilli(), need);
        request.trace(tracer.accepted(r, begin, accepted.id(), ticket.attempt(), engineRequest));
        FirstTokenHops hops = new FirstTokenHops();
        if (hops.isEnabled() && accepted.stream()) {
            hops.id = accepted.id();
            hops.polled = polledMicros;
            hops.admitted = FirstTokenHops.nowMicros();
            request.hops(hops);
        }
        ledger.open(request);
        handOff.queue(request, engineRequest);
    }

    private static String duplicateMessage(String id, RecentAnswers.Answer earlier) {
        if (earlier == null) {
            return "a request with id " + id + " is being generated right now;"
                    + " this record is not generated (the first one will be answered)";
        }
        long ago = Math.max(0, System.currentTimeMillis() - earlier.answeredAtMillis()) / 1000;
        return "request " + id + " was answered " + ago + " s ago (attempt " + earlier.attempt() + ", prompt at "
                + earlier.partition() + " offset " + earlier.offset() + "); its completion stands and this record is"
                + " not generated again";
    }

    /**
     * Hands this poll's accepted prompts to the engine, after committing the journal that says they
     * were started: whoever reads the partition after a crash then numbers their next attempt higher.
     * One commit per poll batch that starts work, not one per prompt.
     */
    private void startQueued(KafkaConsumer<byte[], byte[]> c) {
        handOff.retryRefused(this::start);
        if (!handOff.hasQueued()) {
            return;
        }
        if (!delivery.commitNow(c, handOff.queuedPartitions())) {
            if (delivery.commitMayYetSucceed()) {
                // Not started without the journal: a worker that cannot commit may have been fenced (cut
                // off, frozen), and the partition's next owner would start the same prompts at the same
                // attempt. They wait for the next poll's commit; a revocation meanwhile drops them.
                LOG.warnf("the attempt journal was not committed: %d prompts wait for the next commit",
                        handOff.queuedCount());
                return;
            }
            // A commit that can never succeed (authorization, metadata too large): waiting would stop
            // the worker for good; start, as the journal's coarse numbering allows (delivery.md).
            LOG.warn("the attempt journal was not committed: after a crash these prompts may repeat an attempt number");
        }
        handOff.startQueued(this::start);
    }

    /** Hands one prompt to the engine; false when the engine's inbox refused it (tried again later). */
    private boolean start(EngineHandOff.Start s) {
        InFlight request = s.request();
        if (request.revoked()) {
            handOff.release(request);
            request.trace().revoked();
            return true;
        }
        try {
            RequestSink answers = requestMetrics.observe(request.millisBeforeEngine(), request::revoked,
                    publisher.sinkFor(request, delivery));
            // Before the hand-over: the engine may schedule it at once. A refused hand-over is retried
            // and shows as a second "queued" event.
            engineTracer.track(request.engineRequestId(), request.trace());
            request.trace().handedToEngine(System.nanoTime());
            if (request.hops() != null) {
                request.hops().handedToEngine = FirstTokenHops.nowMicros();
            }
            engine.addRequest(s.engineRequest(), output -> {
                handOff.release(request);
                if (output instanceof RequestOutput.Finished) {
                    engineTracer.forget(request.engineRequestId());
                }
                answers.accept(output);
            });
            if (cancels.contains(request.id(), System.currentTimeMillis())) {
                engine.abort(request.engineRequestId(), FinishReason.CANCELLED);   // cancelled before it started
            }
            return true;
        } catch (RejectedExecutionException | IllegalStateException notTaken) {
            engineTracer.untrack(request.engineRequestId());
            return false;   // queue full (or engine stopping): no new prompts until it is taken
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

    /**
     * Pauses every partition at the in-flight cap; resumes a paused partition once its next record
     * would be taken: below 3/4 of the cap (hysteresis, so a partition is not fetched for one record
     * at a time) and, for a record that waited for KV room, once the engine has it.
     */
    private void applyBackpressure(KafkaConsumer<byte[], byte[]> c, int max) {
        Set<TopicPartition> assigned = c.assignment();
        paused.keySet().retainAll(assigned);
        int inFlight = ledger.inFlightCount();
        if (inFlight >= max || handOff.hasRefused()) {
            Set<TopicPartition> toPause = new HashSet<>(assigned);
            toPause.removeAll(paused.keySet());
            if (!toPause.isEmpty()) {
                c.pause(toPause);
                toPause.forEach(tp -> paused.put(tp, 0));
            }
            return;
        }
        List<TopicPartition> resume = new ArrayList<>();
        for (var e : paused.entrySet()) {
            int limit = e.getValue() == 0 ? Math.max(1, max * 3 / 4) : max;
            if (!journalUnread.contains(e.getKey()) && inFlight < limit && !ledger.spanFull(e.getKey())
                    && handOff.admits(e.getValue())) {
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
        metrics.loop(now, paused.size(), ledger.inFlightCount(), ledger.uncommitted(), delivery.transactionsCommitted(),
                delivery.transactionsAborted());
        if (metrics.lagDue(now)) {
            metrics.refreshLag(c, now, ledger::watermark);
        }
    }

    /** Shutdown: stop fetching, let in-flight requests finish within the grace period, give the rest back. */
    private void drain(KafkaConsumer<byte[], byte[]> c) {
        c.pause(c.assignment());
        // Prompts never handed to the engine are not started by a drain: give them back now
        // (redelivered) instead of waiting the whole grace period for them.
        int givenBack = handOff.giveBackAll().size();   // their offsets stay pending: never answered here
        ledger.forgetRevoked();
        long deadline = System.nanoTime() + config.worker().shutdownGrace().toNanos();
        // Wait for generations and for answers still waiting to be written.
        while ((ledger.inFlightCount() > 0 || ledger.numPending() > givenBack) && engine.stats().alive()
                && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(50));   // keeps the group membership alive while paused
            delivery.afterPoll(c);
        }
        if (ledger.inFlightCount() > 0) {
            LOG.infof("%d requests left unanswered for redelivery", ledger.inFlightCount());
            abort(ledger.revokeAll());
        }
        delivery.commitNow(c, c.assignment());
        LOG.info("prompt consumer drained and committed");
    }

    private void abort(Collection<InFlight> revoked) {
        revoked.forEach(r -> engine.abort(r.engineRequestId(), FinishReason.CANCELLED));
        handOff.dropRevoked().forEach(r -> r.trace().revoked());
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
            journalUnread.forEach(tp -> ledger.assigned(tp, committed.get(tp)));
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
        abort(ledger.forget(partitions));
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
                ledger.assigned(tp, committed.get(tp));
            }
            LOG.infof("assigned %s", partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            delivery.commitNow(consumer, partitions);
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
