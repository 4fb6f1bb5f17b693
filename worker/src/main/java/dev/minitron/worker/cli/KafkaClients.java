package dev.minitron.worker.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The CLI's Kafka clients: String keys (the request id) and JSON String values. */
final class KafkaClients {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private KafkaClients() {}

    /** Idempotent, {@code acks=all}: a prompt is written once, and only once the broker has it safe. */
    static KafkaProducer<String, String> producer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) CONNECT_TIMEOUT.toMillis());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "minitron-cli-" + shortId());
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    static Admin admin(String bootstrap) {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CONNECT_TIMEOUT.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CONNECT_TIMEOUT.toMillis()));
    }

    /** A consumer without a group: it assigns partitions itself and commits nothing. */
    static KafkaConsumer<String, String> consumer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CONNECT_TIMEOUT.toMillis());
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        // Answers are written in transactions (exactly-once delivery): see only committed ones.
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "minitron-cli-" + shortId());
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    /**
     * Assigns every partition of {@code topics} and positions the consumer at their ends (or
     * beginnings). Positions are resolved here, not lazily at the first poll, so a record written
     * after this returns is always seen.
     */
    static void assignAll(KafkaConsumer<String, String> consumer, List<String> topics, boolean fromBeginning,
                          String bootstrap) {
        var partitions = new ArrayList<TopicPartition>();
        for (String topic : topics) {
            try {
                var infos = consumer.partitionsFor(topic, CONNECT_TIMEOUT);
                if (infos == null || infos.isEmpty()) {
                    throw new CliException(1, "Topic " + topic + " does not exist on " + bootstrap
                            + ". Create the minitron topics with: ./minitron topics create");
                }
                infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
            } catch (TimeoutException e) {
                throw unreachable(bootstrap);
            }
        }
        consumer.assign(partitions);
        if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
        }
        try {
            partitions.forEach(consumer::position);
        } catch (TimeoutException e) {
            throw unreachable(bootstrap);
        }
    }

    /** Sends one record and waits for the broker's acknowledgement. */
    static RecordMetadata sendAndWait(KafkaProducer<String, String> producer, ProducerRecord<String, String> record,
                                      String bootstrap) {
        try {
            return producer.send(record).get();
        } catch (TimeoutException e) {
            throw unreachable(bootstrap);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw unreachable(bootstrap);
            }
            throw new CliException(MinitronCli.ERROR, "Kafka did not accept the record for " + record.topic() + ": "
                    + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(130, "interrupted");
        }
    }

    static CliException unreachable(String bootstrap) {
        return new CliException(1, "Cannot reach Kafka at " + bootstrap + " within "
                + CONNECT_TIMEOUT.toSeconds() + " s (or its topic is missing). Is a broker running? Start one with:"
                + " ./minitron broker (or pass --bootstrap HOST:PORT).");
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
