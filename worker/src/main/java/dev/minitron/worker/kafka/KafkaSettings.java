package dev.minitron.worker.kafka;

import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka client settings: every {@code kafka.*} property (bootstrap servers, security, …) plus the
 * delivery settings this worker depends on, which a user cannot turn off by accident.
 */
@ApplicationScoped
public class KafkaSettings {

    /** Settings that only make sense for the other client type, dropped to keep the logs quiet. */
    private static final Set<String> NOT_FOR_CLIENTS = Set.of("devservices.enabled", "health.enabled",
            "snappy.enabled", "snappy.load.from.classpath");

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> common;

    /** The prompt consumer's {@code fetch.max.wait.ms} unless {@code kafka.fetch.max.wait.ms} says otherwise. */
    static final int PROMPT_FETCH_MAX_WAIT_MS = 10;

    public Map<String, Object> consumer(String groupId, int maxPollRecords) {
        Map<String, Object> props = base();
        // Cooperative: a rebalance revokes only the partitions that move, the rest keep generating. The
        // new group protocol (KIP-848, group.protocol=consumer) is incremental by itself and refuses the setting.
        if (!"consumer".equalsIgnoreCase(String.valueOf(props.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
            props.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A worker pauses and resumes partitions all the time (backpressure). A resumed partition's
        // records can only be fetched once the fetch already parked at the broker returns, which with
        // Kafka's default (500 ms) stalls admission: measured 142 vs 258 prompts/s (docs/benchmarks/kafka.md).
        props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, PROMPT_FETCH_MAX_WAIT_MS);
        // Prompts written in an upstream transaction count only once committed; and with exactly-once
        // delivery, reading committed offsets waits for a previous owner's open transaction (KIP-447).
        props.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);   // commits follow acknowledged answers
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return props;
    }

    /** A consumer outside any group (assigned partitions, nothing committed): for the cancels topic. */
    public Map<String, Object> groupless() {
        Map<String, Object> props = base();
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return props;
    }

    /** The largest record the producer sends ({@code max.request.size}, 1 MiB unless set). */
    public int maxRecordBytes() {
        Object v = common.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        return v == null ? 1_048_576 : Integer.parseInt(v.toString());
    }

    public Map<String, Object> producer(String clientId) {
        Map<String, Object> props = base();
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Token events go out at once: an engine step appends all of its events within microseconds, so
        // they batch by themselves while a request is in flight, and a linger of 1 ms cost 1.4–2.5 ms
        // of time to first token on a busy host (the sender's timed wake-up waits for a core) for 5
        // points of throughput on the CPU backend's 2 ms steps (docs/benchmarks/kafka.md, issue 20).
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        // A send runs on the engine thread: never let a missing topic or a full buffer stall it for a minute.
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        // ...and never let an output topic's metadata expire after a quiet spell (default 5 min), so a
        // send after it does not have to fetch it again within that bound.
        props.putIfAbsent(ProducerConfig.METADATA_MAX_IDLE_CONFIG, 86_400_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    /**
     * The exactly-once producer of completions and error events. Its sends and commits run on the poll
     * thread, which may block for {@code max.block.ms} while the broker is away (15 s unless set).
     */
    public Map<String, Object> transactionalProducer(String clientId, String transactionalId, Duration transactionTimeout) {
        Map<String, Object> props = producer(clientId);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) transactionTimeout.toMillis());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);   // a transaction's commit sends its records at once anyway
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        return props;
    }

    /** An admin client's settings (topic setup): the same cluster and security as the worker's clients. */
    public Map<String, Object> admin() {
        Map<String, Object> props = new HashMap<>();
        base().forEach((k, v) -> {
            if (org.apache.kafka.clients.admin.AdminClientConfig.configNames().contains(k)) {
                props.put(k, v);
            }
        });
        props.putIfAbsent(org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return props;
    }

    private Map<String, Object> base() {
        Map<String, Object> props = new HashMap<>();
        common.forEach((k, v) -> {
            if (!NOT_FOR_CLIENTS.contains(k)) {
                props.put(k, v);
            }
        });
        props.putIfAbsent("bootstrap.servers", "localhost:9092");
        return props;
    }
}
