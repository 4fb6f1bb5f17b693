package dev.minitron.worker.kafka;

import com.fasterxml.jackson.databind.ObjectReader;
import dev.minitron.schemas.CancelEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.worker.config.WorkerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Reads every partition of the cancels topic (no consumer group: every worker must see every
 * cancel) from {@code cancel-window} ago, and aborts the matching request wherever it is: in the
 * engine within one step, or before it starts.
 *
 * <p>The reader never gives up: an unreachable broker, a cancels topic that does not exist yet or
 * any error in the loop closes the consumer and starts over after a backoff (up to 30 s), reading
 * from the window start again. It re-reads the topic's partitions every {@code refresh}, so
 * partitions added later are read too. {@link #alive()} feeds liveness: only an {@link Error}
 * can end the thread.
 */
@ApplicationScoped
public class CancelConsumer {

    private static final Logger LOG = Logger.getLogger(CancelConsumer.class);
    private static final ObjectReader READER = WireJson.reader().forType(CancelEvent.class);
    private static final long MIN_BACKOFF_MS = 500;
    private static final long MAX_BACKOFF_MS = 30_000;

    private final Supplier<Map<String, Object>> props;
    private final String topic;
    private final Duration window;
    private final Duration pollTimeout;
    private final Duration refresh;
    private final Consumer<String> onCancel;
    private volatile boolean running;
    private volatile boolean reading;
    private volatile Thread thread;
    private volatile KafkaConsumer<byte[], byte[]> current;

    @Inject
    public CancelConsumer(WorkerConfig config, KafkaSettings settings, CancelRegistry registry, PromptConsumer prompts) {
        this(settings::groupless, config.topics().cancels(), config.consumer().cancelWindow(),
                config.consumer().pollTimeout(), Duration.ofSeconds(30), id -> {
                    registry.add(id, System.currentTimeMillis());
                    prompts.cancel(id);
                });
    }

    /** @param refresh how often the topic's partitions are read again (new partitions are picked up) */
    CancelConsumer(Supplier<Map<String, Object>> props, String topic, Duration window, Duration pollTimeout,
                   Duration refresh, Consumer<String> onCancel) {
        this.props = props;
        this.topic = topic;
        this.window = window;
        this.pollTimeout = pollTimeout;
        this.refresh = refresh;
        this.onCancel = onCancel;
    }

    void onStart(@Observes StartupEvent event) {
        start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        stop();
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().name("minitron-kafka-cancels").unstarted(this::run);
        thread.start();
    }

    void stop() throws InterruptedException {
        running = false;
        Thread t = thread;
        KafkaConsumer<byte[], byte[]> c = current;
        if (c != null) {
            try {
                c.wakeup();   // ends a blocking call; the client is closed by its own thread
            } catch (RuntimeException closedMeanwhile) {
                // nothing to wake
            }
        }
        if (t != null) {
            t.join(5_000);
        }
    }

    /** Whether the reader thread is running (it retries on every error, so false means it was killed). */
    public boolean alive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** Whether the reader is reading at least one partition of the cancels topic right now. */
    public boolean reading() {
        return reading;
    }

    private void run() {
        long backoff = MIN_BACKOFF_MS;
        while (running) {
            Map<String, Object> p = new HashMap<>(props.get());
            // partitionsFor answers from the metadata cache: refresh it as often as partitions are looked for
            p.putIfAbsent(ConsumerConfig.METADATA_MAX_AGE_CONFIG, (int) Math.min(Integer.MAX_VALUE, refresh.toMillis()));
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
                current = c;
                readUntilStopped(c);
            } catch (RuntimeException e) {
                if (reading) {
                    backoff = MIN_BACKOFF_MS;   // it worked for a while: a fresh failure
                }
                reading = false;
                if (!running) {
                    break;
                }
                LOG.warnf("the cancel reader failed, retrying in %d ms (cancels are not applied meanwhile): %s",
                        backoff, e.toString());
                sleepWhileRunning(backoff);
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
        current = null;
        reading = false;
    }

    private void sleepWhileRunning(long millis) {
        long end = System.nanoTime() + millis * 1_000_000;
        try {
            while (running && System.nanoTime() < end) {
                Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void readUntilStopped(KafkaConsumer<byte[], byte[]> c) {
        List<TopicPartition> assigned = List.of();
        long nextRefresh = 0;
        while (running) {
            long now = System.nanoTime();
            if (now - nextRefresh >= 0) {
                List<TopicPartition> current = partitionsOf(c);
                if (!current.equals(assigned)) {
                    List<TopicPartition> added = new ArrayList<>(current);
                    added.removeAll(assigned);
                    c.assign(current);
                    Map<TopicPartition, Long> at = seekToWindowStart(c, added);
                    if (!added.isEmpty()) {
                        LOG.infof("reading cancels from %s", at);
                    }
                    assigned = current;
                }
                reading = !assigned.isEmpty();
                // A missing topic is looked for again soon; a present one now and then for new partitions.
                nextRefresh = now + (assigned.isEmpty() ? Math.min(refresh.toNanos(), 1_000_000_000L) : refresh.toNanos());
            }
            if (assigned.isEmpty()) {
                sleepWhileRunning(pollTimeout.toMillis());
                continue;
            }
            var polled = c.poll(pollTimeout);
            for (ConsumerRecord<byte[], byte[]> r : polled) {
                String id = idOf(r);
                if (id != null) {
                    onCancel.accept(id);
                }
            }
        }
    }

    private List<TopicPartition> partitionsOf(KafkaConsumer<byte[], byte[]> c) {
        List<PartitionInfo> infos = c.partitionsFor(topic);
        List<TopicPartition> out = new ArrayList<>();
        if (infos != null) {
            infos.forEach(p -> out.add(new TopicPartition(topic, p.partition())));
        }
        out.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        return out;
    }

    private Map<TopicPartition, Long> seekToWindowStart(KafkaConsumer<byte[], byte[]> c, List<TopicPartition> partitions) {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (partitions.isEmpty()) {
            return out;
        }
        long from = System.currentTimeMillis() - window.toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, from));
        // The ends first: a cancel written between the two lookups then lies at or after the end
        // taken here and is read, instead of being skipped by an end taken after it.
        var ends = c.endOffsets(partitions);
        var found = c.offsetsForTimes(query);
        for (TopicPartition tp : partitions) {
            var at = found.get(tp);
            long offset = at != null ? at.offset() : ends.get(tp);
            c.seek(tp, offset);
            out.put(tp, offset);
        }
        return out;
    }

    /** The id in a cancel event, else the record key; null when neither is usable. */
    private static String idOf(ConsumerRecord<byte[], byte[]> r) {
        try {
            if (r.value() != null) {
                return READER.<CancelEvent>readValue(r.value()).id();
            }
        } catch (Exception e) {
            // fall back to the key
        }
        return r.key() == null || r.key().length == 0 ? null : new String(r.key(), StandardCharsets.UTF_8);
    }
}
