package dev.minitron.worker.kafka;

import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.mapping.AdmissionResult;
import dev.minitron.worker.mapping.RequestAdmission;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
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
 * acknowledged by the broker; each partition commits its contiguous watermark. Beyond
 * {@code maxInFlight} unanswered prompts the worker pauses its partitions and keeps polling, so the
 * backlog stays in Kafka and {@code max.poll.interval.ms} never expires because generation is slow.
 */
@ApplicationScoped
public class PromptConsumer {

    private static final Logger LOG = Logger.getLogger(PromptConsumer.class);

    private final WorkerConfig config;
    private final KafkaSettings settings;
    private final ResultPublisher publisher;
    private final RequestAdmission admission;
    private final LlmEngine engine;
    private final OffsetTracker tracker = new OffsetTracker();
    private final ConcurrentLinkedQueue<InFlight> answered = new ConcurrentLinkedQueue<>();
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();   // by prompt id
    private final Set<TopicPartition> paused = new HashSet<>();
    private volatile boolean running;
    private volatile boolean joined;
    private final java.util.concurrent.atomic.AtomicLong admissions = new java.util.concurrent.atomic.AtomicLong();
    private KafkaConsumer<byte[], byte[]> consumer;   // poll thread only
    private volatile Thread thread;

    private final CancelRegistry cancels;

    public PromptConsumer(WorkerConfig config, KafkaSettings settings, ResultPublisher publisher,
                          RequestAdmission admission, EngineHolder engineHolder, CancelRegistry cancels) {
        this.cancels = cancels;
        this.config = config;
        this.settings = settings;
        this.publisher = publisher;
        this.admission = admission;
        this.engine = engineHolder.engine();
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
                Math.min(500, max)))) {
            consumer = c;
            c.subscribe(List.of(config.topics().prompts()), new Rebalance());
            while (running) {
                if (!engine.stats().alive()) {
                    LOG.error("the engine has stopped: this worker gives its partitions back to the group");
                    break;
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(config.consumer().pollTimeout())) {
                    if (!paused.contains(new TopicPartition(r.topic(), r.partition()))) {
                        handle(c, r);
                    }
                }
                takeAnswers();
                commitAsync(c);
                applyBackpressure(c, max);
            }
            drain(c);
        } catch (RuntimeException e) {
            LOG.error("the Kafka poll loop stopped", e);
        }
    }

    private void handle(KafkaConsumer<byte[], byte[]> c, ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (inFlight.size() >= config.consumer().maxInFlight()) {
            handBack(c, tp, r.offset());   // the cap is exact, whatever the size of the poll batch
            return;
        }
        Set<String> busyIds = inFlight.keySet();
        AdmissionResult result = admission.admit(r, busyIds);
        if (result instanceof AdmissionResult.Rejected rejected) {
            long generation = tracker.track(tp, r.offset());
            InFlight record = InFlight.rejected(tp, r.offset(), generation, r.timestamp());
            publisher.error(rejected.error(), r.key(), () -> answered.add(record));
            return;
        }
        var accepted = (AdmissionResult.Accepted) result;
        long generation = tracker.track(tp, r.offset());
        // The engine id is unique per admission: a redelivery of the same record never meets an
        // aborted earlier attempt that is still inside the engine.
        var engineRequest = accepted.request().withRequestId(
                InFlight.engineRequestId(accepted.id(), tp, r.offset(), admissions.incrementAndGet()));
        InFlight request = new InFlight(tp, r.offset(), generation, accepted.id(), engineRequest.requestId(), 1,
                accepted.stream(), accepted.metadata(), accepted.recordTime().toEpochMilli());
        inFlight.put(request.id(), request);
        try {
            engine.addRequest(engineRequest, publisher.sinkFor(request, answered::add));
            if (cancels.contains(request.id(), System.currentTimeMillis())) {
                engine.abort(request.engineRequestId(), FinishReason.CANCELLED);   // cancelled before it started
            }
        } catch (RejectedExecutionException | IllegalStateException notTaken) {
            // Queue full (or engine stopping): give the record back to Kafka and wait.
            inFlight.remove(request.id(), request);
            tracker.untrackLast(tp, r.offset());
            handBack(c, tp, r.offset());
        }
    }

    /** Seeks the partition back to this record and pauses it: Kafka keeps it until there is room. */
    private void handBack(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long offset) {
        c.seek(tp, offset);
        c.pause(List.of(tp));
        paused.add(tp);
    }

    private void takeAnswers() {
        InFlight done;
        while ((done = answered.poll()) != null) {
            if (done.id() != null) {
                inFlight.remove(done.id(), done);
            }
            if (!done.revoked()) {
                tracker.ack(done.partition(), done.offset(), done.generation());
            }
        }
    }

    private void commitAsync(KafkaConsumer<byte[], byte[]> c) {
        var offsets = tracker.takeCommittable();
        if (!offsets.isEmpty()) {
            c.commitAsync(offsets, (o, e) -> {
                if (e == null) {
                    tracker.committed(o);
                } else {
                    tracker.commitFailed(offsets);
                    LOG.warnf("offset commit failed, will retry: %s", e.toString());
                }
            });
        }
    }

    /** Commits the current watermarks of these partitions and waits; never throws. */
    private void commitSync(KafkaConsumer<byte[], byte[]> c, Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.watermarks(partitions);
        if (offsets.isEmpty()) {
            return;
        }
        try {
            c.commitSync(offsets, Duration.ofSeconds(10));
            tracker.committed(offsets);
        } catch (KafkaException e) {
            LOG.warnf("final offset commit failed (those prompts will be answered again): %s", e.toString());
        }
    }

    private void applyBackpressure(KafkaConsumer<byte[], byte[]> c, int max) {
        Set<TopicPartition> assigned = c.assignment();
        if (inFlight.size() >= max) {
            Set<TopicPartition> toPause = new HashSet<>(assigned);
            toPause.removeAll(paused);
            if (!toPause.isEmpty()) {
                c.pause(toPause);
                paused.addAll(toPause);
            }
        } else if (!paused.isEmpty() && inFlight.size() < Math.max(1, max * 3 / 4)) {
            paused.retainAll(assigned);
            c.resume(paused);
            paused.clear();
        }
    }

    /** Shutdown: stop fetching, let in-flight requests finish within the grace period, give the rest back. */
    private void drain(KafkaConsumer<byte[], byte[]> c) {
        c.pause(c.assignment());
        long deadline = System.nanoTime() + config.worker().shutdownGrace().toNanos();
        // Wait for generations and for error events still waiting for the broker's acknowledgement.
        while ((!inFlight.isEmpty() || tracker.numPending() > 0) && engine.stats().alive()
                && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(50));   // keeps the group membership alive while paused
            takeAnswers();
            commitAsync(c);
        }
        takeAnswers();
        if (!inFlight.isEmpty()) {
            LOG.infof("%d requests left unanswered for redelivery", inFlight.size());
            revoke(inFlight.values());
        }
        commitSync(c, c.assignment());
        LOG.info("prompt consumer drained and committed");
    }

    private void revoke(Collection<InFlight> requests) {
        for (InFlight r : List.copyOf(requests)) {
            r.revoke();
            inFlight.remove(r.id(), r);
            engine.abort(r.engineRequestId(), FinishReason.CANCELLED);
        }
    }

    private void forget(Collection<TopicPartition> partitions) {
        revoke(inFlight.values().stream().filter(r -> partitions.contains(r.partition())).toList());
        partitions.forEach(tracker::remove);
        paused.removeAll(partitions);
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            joined = true;
            LOG.infof("assigned %s", partitions);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            takeAnswers();
            commitSync(consumer, partitions);
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
