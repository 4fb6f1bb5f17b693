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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
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
    private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
    private final Set<TopicPartition> paused = new HashSet<>();
    private volatile boolean running;
    private volatile boolean joined;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private Thread thread;

    public PromptConsumer(WorkerConfig config, KafkaSettings settings, ResultPublisher publisher,
                          RequestAdmission admission, EngineHolder engineHolder) {
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

    /** Runs before beans are destroyed: drain, commit, leave the group. */
    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
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

    private void run() {
        int max = config.consumer().maxInFlight();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(settings.consumer(config.consumer().groupId(),
                Math.min(500, max)))) {
            consumer = c;
            c.subscribe(List.of(config.topics().prompts()), new Rebalance());
            while (running) {
                try {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(config.consumer().pollTimeout())) {
                        if (!paused.contains(new TopicPartition(r.topic(), r.partition()))) {
                            handle(c, r);
                        }
                    }
                } catch (WakeupException e) {
                    // shutdown: fall through to the drain
                }
                takeAnswers();
                commit(c);
                applyBackpressure(c, max);
            }
            drain(c);
        } catch (RuntimeException e) {
            LOG.error("the Kafka poll loop stopped", e);
        } finally {
            consumer = null;
        }
    }

    private void handle(KafkaConsumer<byte[], byte[]> c, ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        AdmissionResult result = admission.admit(r, inFlight.keySet());
        if (result instanceof AdmissionResult.Rejected rejected) {
            tracker.track(tp, r.offset());
            publisher.error(rejected.error(), () -> answered.add(new InFlight(tp, r.offset(), null, 0, false, Map.of(), r.timestamp())));
            return;
        }
        var accepted = (AdmissionResult.Accepted) result;
        InFlight request = new InFlight(tp, r.offset(), accepted.request().requestId(), 1, accepted.stream(),
                accepted.metadata(), accepted.recordTime().toEpochMilli());
        try {
            inFlight.put(request.id(), request);
            tracker.track(tp, r.offset());
            engine.addRequest(accepted.request(), publisher.sinkFor(request, answered::add));
        } catch (RejectedExecutionException full) {
            // The engine queue is full: give the record back to Kafka and wait.
            inFlight.remove(request.id());
            tracker.untrackLast(tp, r.offset());
            c.seek(tp, r.offset());
            c.pause(List.of(tp));
            paused.add(tp);
        }
    }

    private void takeAnswers() {
        InFlight done;
        while ((done = answered.poll()) != null) {
            if (done.id() != null) {
                inFlight.remove(done.id(), done);
            }
            if (!done.revoked()) {
                tracker.ack(done.partition(), done.offset());
            }
        }
    }

    private void commit(KafkaConsumer<byte[], byte[]> c) {
        var offsets = tracker.takeCommittable();
        if (!offsets.isEmpty()) {
            c.commitAsync(offsets, (o, e) -> {
                if (e != null) {
                    LOG.warnf("offset commit failed (the next one will carry the watermark): %s", e.toString());
                }
            });
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
            c.resume(paused);
            paused.clear();
        }
    }

    /** Shutdown: stop fetching, let in-flight requests finish within the grace period, give the rest back. */
    private void drain(KafkaConsumer<byte[], byte[]> c) {
        c.pause(c.assignment());
        long deadline = System.nanoTime() + config.worker().shutdownGrace().toNanos();
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
            c.poll(Duration.ofMillis(50));   // keeps the group membership alive while paused
            takeAnswers();
            commit(c);
        }
        takeAnswers();
        if (!inFlight.isEmpty()) {
            LOG.infof("shutdown grace over: %d requests left for redelivery", inFlight.size());
            revoke(inFlight.values());
        }
        var offsets = tracker.takeCommittable();
        if (!offsets.isEmpty()) {
            c.commitSync(offsets);
        }
        LOG.info("prompt consumer drained and committed");
    }

    private void revoke(Collection<InFlight> requests) {
        for (InFlight r : List.copyOf(requests)) {
            r.revoke();
            inFlight.remove(r.id(), r);
            engine.abort(r.id(), FinishReason.CANCELLED);
        }
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
            var offsets = tracker.takeCommittable(partitions);
            if (!offsets.isEmpty()) {
                consumer.commitSync(offsets);
            }
            revoke(inFlight.values().stream().filter(r -> partitions.contains(r.partition())).toList());
            partitions.forEach(tracker::remove);
            paused.removeAll(partitions);
            LOG.infof("revoked %s", partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            revoke(inFlight.values().stream().filter(r -> partitions.contains(r.partition())).toList());
            partitions.forEach(tracker::remove);
            paused.removeAll(partitions);
            LOG.warnf("lost %s", partitions);
        }
    }
}
