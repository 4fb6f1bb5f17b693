package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.testing.TemporaryKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The cancel reader survives a missing topic and an unreachable broker, and picks up new partitions. */
class CancelConsumerTest {

    private static Map<String, Object> props(String bootstrap) {
        return Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false,
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 1000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    }

    private static void await(java.util.function.BooleanSupplier condition, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(condition.getAsBoolean()).as("condition within %s", within).isTrue();
    }

    @Test
    void aCancelsTopicCreatedLaterIsReadAndSoAreItsNewPartitions() throws Exception {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (TemporaryKafka kafka = TemporaryKafka.start(1);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
             var producer = new KafkaProducer<byte[], byte[]>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()))) {
            String topic = "late.cancels";
            CancelConsumer reader = new CancelConsumer(() -> props(kafka.bootstrapServers()), topic,
                    Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofMillis(500), seen::add);
            reader.start();
            try {
                Thread.sleep(2_000);   // the topic is missing: before the fix the thread died here
                assertThat(reader.alive()).isTrue();
                assertThat(reader.reading()).isFalse();

                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
                producer.send(new ProducerRecord<>(topic, 0, "first".getBytes(StandardCharsets.UTF_8), null)).get();
                await(() -> seen.contains("first"), Duration.ofSeconds(30));
                assertThat(reader.reading()).isTrue();

                admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get();
                producer.send(new ProducerRecord<>(topic, 1, "second".getBytes(StandardCharsets.UTF_8), null)).get();
                await(() -> seen.contains("second"), Duration.ofSeconds(30));
                assertThat(reader.alive()).isTrue();
            } finally {
                reader.stop();
            }
            assertThat(reader.alive()).isFalse();
        }
    }

    @Test
    void anUnreachableBrokerDoesNotEndTheReader() throws Exception {
        CancelConsumer reader = new CancelConsumer(() -> props("127.0.0.1:1"), "minitron.cancels",
                Duration.ofMinutes(10), Duration.ofMillis(100), Duration.ofMillis(500), id -> { });
        reader.start();
        try {
            Thread.sleep(3_000);   // several default.api.timeout.ms: partitionsFor has failed at least once
            assertThat(reader.alive()).isTrue();
            assertThat(reader.reading()).isFalse();
        } finally {
            reader.stop();
        }
        assertThat(reader.alive()).isFalse();
    }
}
