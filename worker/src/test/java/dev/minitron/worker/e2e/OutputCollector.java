package dev.minitron.worker.e2e;

import dev.minitron.schemas.Topics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the output topics the way a client would: its own consumer, every partition, from the
 * start, and waits (with a deadline) until what the test expects has arrived.
 */
final class OutputCollector implements AutoCloseable {

    /** @param traceparent the record's W3C {@code traceparent} header, or null */
    record Event(String topic, String key, JsonNode value, long offset, String traceparent) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KafkaConsumer<String, String> consumer;
    private final List<Event> events = new ArrayList<>();

    OutputCollector(String bootstrap, List<String> topics) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer = new KafkaConsumer<>(p);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic).forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** Polls until {@code done} holds for the events of {@code id}, or fails after {@code timeout}. */
    List<Event> awaitFor(String id, Predicate<List<Event>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Event> mine = eventsFor(id);
            if (done.test(mine)) {
                return mine;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for the events of " + id + "; have " + mine);
            }
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                var header = r.headers().lastHeader("traceparent");
                String traceparent = header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
                events.add(new Event(r.topic(), r.key(), parse(r.value()), r.offset(), traceparent));
            }
        }
    }

    List<Event> eventsFor(String id) {
        return events.stream().filter(e -> id.equals(e.key())).toList();
    }

    static Predicate<List<Event>> hasEventOn(String topic) {
        return list -> list.stream().anyMatch(e -> e.topic().equals(topic));
    }

    /**
     * A completion, and token events carrying as many token ids as it reports generated: the two topics
     * are read independently, so the completion may be read before the last token events (delivery.md).
     */
    static Predicate<List<Event>> hasCompletionAndItsStream() {
        return list -> list.stream().filter(e -> e.topic().equals(Topics.COMPLETIONS)).findFirst()
                .map(c -> list.stream().filter(e -> e.topic().equals(Topics.TOKENS))
                        .mapToInt(e -> e.value().path("token_ids").size()).sum()
                        >= c.value().path("usage").path("completion_tokens").asInt())
                .orElse(false);
    }

    private static JsonNode parse(String value) {
        try {
            return JSON.readTree(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
