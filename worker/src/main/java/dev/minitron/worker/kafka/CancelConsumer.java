package dev.minitron.worker.kafka;

import com.fasterxml.jackson.databind.ObjectReader;
import dev.minitron.schemas.CancelEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.worker.config.WorkerConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Reads every partition of the cancels topic (no consumer group: every worker must see every
 * cancel) from {@code cancel-window} ago, and aborts the matching request wherever it is: in the
 * engine within one step, or before it starts.
 */
@ApplicationScoped
public class CancelConsumer {

    private static final Logger LOG = Logger.getLogger(CancelConsumer.class);
    private static final ObjectReader READER = WireJson.reader().forType(CancelEvent.class);

    private final WorkerConfig config;
    private final KafkaSettings settings;
    private final CancelRegistry registry;
    private final PromptConsumer prompts;
    private volatile boolean running;
    private volatile Thread thread;

    public CancelConsumer(WorkerConfig config, KafkaSettings settings, CancelRegistry registry, PromptConsumer prompts) {
        this.config = config;
        this.settings = settings;
        this.registry = registry;
        this.prompts = prompts;
    }

    void onStart(@Observes StartupEvent event) {
        running = true;
        thread = Thread.ofPlatform().name("minitron-kafka-cancels").unstarted(this::run);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.join(5_000);
        }
    }

    private void run() {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(settings.groupless())) {
            String topic = config.topics().cancels();
            List<TopicPartition> partitions = new ArrayList<>();
            c.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            c.assign(partitions);
            seekToWindowStart(c, partitions);
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(config.consumer().pollTimeout())) {
                    String id = idOf(r);
                    if (id != null) {
                        registry.add(id, System.currentTimeMillis());
                        prompts.cancel(id);
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.errorf("the cancel reader stopped (cancels are not applied until restart): %s", e.toString());
        }
    }

    private void seekToWindowStart(KafkaConsumer<byte[], byte[]> c, List<TopicPartition> partitions) {
        long from = System.currentTimeMillis() - config.consumer().cancelWindow().toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, from));
        var found = c.offsetsForTimes(query);
        var ends = c.endOffsets(partitions);
        for (TopicPartition tp : partitions) {
            var at = found.get(tp);
            c.seek(tp, at != null ? at.offset() : ends.get(tp));
        }
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
