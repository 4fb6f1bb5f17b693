package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.TopicSet;
import dev.minitron.worker.tracing.RequestTrace;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The mechanism exactly-once rests on, against a real broker: an answer and its prompt's offset
 * commit together, and a worker that was fenced out of its group (here: it stopped polling past
 * {@code max.poll.interval.ms} while another member took its partition) has its transaction refused
 * by the group coordinator, so a {@code read_committed} reader never sees its answer.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ExactlyOnceDeliveryTest {

    @Test
    void anAnswerAndItsOffsetCommitTogether(DevBroker broker) throws Exception {
        TopicSet topics = TopicSet.create(broker.bootstrapServers(), "eos-ok-" + UUID.randomUUID(), 1);
        TopicPartition tp = new TopicPartition(topics.prompts(), 0);
        produce(broker, topics.prompts(), "p-1");
        PromptLedger ledger = ledger();
        try (var consumer = consumer(broker, topics.group(), 30_000);
             var delivery = delivery(broker, "eos-ok-" + UUID.randomUUID(), ledger)) {
            delivery.start();
            ConsumerRecord<byte[], byte[]> r = pollOne(consumer, topics.prompts(), ledger);
            var ticket = (PromptLedger.Ticket) ledger.take(tp, r.offset());
            InFlight request = inFlight(ticket, "p-1");
            ledger.open(request);
            AtomicInteger written = new AtomicInteger();
            delivery.publish(answer(request, topics.completions(), written));

            assertThat(delivery.commitNow(consumer, Set.of(tp))).isTrue();
            assertThat(written).hasValue(1);
            assertThat(readAll(broker, topics.completions(), "read_committed")).containsExactly("p-1");
            assertThat(consumer.committed(Set.of(tp), Duration.ofSeconds(10)).get(tp).offset()).isEqualTo(1);
        }
    }

    @Test
    void aFencedWorkersAnswerIsAbortedByTheBroker(DevBroker broker) throws Exception {
        TopicSet topics = TopicSet.create(broker.bootstrapServers(), "eos-zombie-" + UUID.randomUUID(), 1);
        TopicPartition tp = new TopicPartition(topics.prompts(), 0);
        produce(broker, topics.prompts(), "z-1");
        PromptLedger ledger = ledger();
        try (var zombie = consumer(broker, topics.group(), 3_000);
             var delivery = delivery(broker, "eos-zombie-" + UUID.randomUUID(), ledger)) {
            delivery.start();
            ConsumerRecord<byte[], byte[]> r = pollOne(zombie, topics.prompts(), ledger);
            var ticket = (PromptLedger.Ticket) ledger.take(tp, r.offset());
            InFlight request = inFlight(ticket, "z-1");
            ledger.open(request);

            // The zombie stops polling (a GC pause, SIGSTOP): past max.poll.interval.ms it leaves the
            // group and the successor gets its partition, at a new generation.
            try (var successor = consumer(broker, topics.group(), 30_000)) {
                successor.subscribe(List.of(topics.prompts()));
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (!successor.assignment().contains(tp)) {
                    assertThat(System.nanoTime()).as("the successor gets the partition").isLessThan(deadline);
                    successor.poll(Duration.ofMillis(100));
                }
                // It wakes and finishes its answer, knowing nothing yet.
                delivery.publish(answer(request, topics.completions(), new AtomicInteger()));
                assertThat(delivery.commitNow(zombie, Set.of(tp))).as("the zombie's transaction commits").isFalse();

                assertThat(delivery.lastError()).as("why the transaction failed").isNotNull();
                assertThat(readAll(broker, topics.completions(), "read_committed")).as("visible answers").isEmpty();
                var committed = successor.committed(Set.of(tp), Duration.ofSeconds(10)).get(tp);
                assertThat(committed == null ? 0 : committed.offset()).as("the prompt is still to answer").isZero();
            }
        }
    }

    /**
     * A consumer that is not a member of its group now (here: one that never joined) reports no
     * generation, and the coordinator accepts a transactional offset commit without one: the
     * delivery must refuse to commit then. The chaos suite caught a worker woken from SIGSTOP in
     * exactly this state (removed by its heartbeat thread, its poll not yet told).
     */
    @Test
    void noTransactionCommitsWhileTheConsumerIsNotAGroupMember(DevBroker broker) throws Exception {
        TopicSet topics = TopicSet.create(broker.bootstrapServers(), "eos-nomember-" + UUID.randomUUID(), 1);
        TopicPartition tp = new TopicPartition(topics.prompts(), 0);
        produce(broker, topics.prompts(), "n-1");
        PromptLedger ledger = ledger();
        try (var outsider = consumer(broker, topics.group(), 30_000);
             var delivery = delivery(broker, "eos-nomember-" + UUID.randomUUID(), ledger)) {
            delivery.start();
            outsider.assign(List.of(tp));
            ledger.assigned(tp, null);
            var ticket = (PromptLedger.Ticket) ledger.take(tp, 0);
            InFlight request = inFlight(ticket, "n-1");
            ledger.open(request);
            assertThat(outsider.groupMetadata().generationId()).isNegative();
            delivery.publish(answer(request, topics.completions(), new AtomicInteger()));

            assertThat(delivery.commitNow(outsider, Set.of(tp))).isFalse();
            assertThat(delivery.commitMayYetSucceed()).as("it may, once the group is joined").isTrue();
            assertThat(readAll(broker, topics.completions(), "read_committed")).isEmpty();
        }
    }

    private static PromptLedger ledger() {
        return new PromptLedger(new OffsetTracker(), new RecentAnswers(60_000, 100), 10_000);
    }

    private static InFlight inFlight(PromptLedger.Ticket t, String id) {
        return new InFlight(t.partition(), t.offset(), t.generation(), id, id + "#1", t.attempt(), false, Map.of(),
                System.currentTimeMillis(), 1);
    }

    private static Answer answer(InFlight request, String topic, AtomicInteger written) {
        byte[] id = request.id().getBytes(StandardCharsets.UTF_8);
        return new Answer(request, true, topic, id, id, List.of(), RequestTrace.NONE, written::incrementAndGet);
    }

    private static ExactlyOnceDelivery delivery(DevBroker broker, String transactionalId, PromptLedger ledger) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new ExactlyOnceDelivery(() -> new KafkaProducer<>(p), transactionalId, ledger, Duration.ofMillis(20), 256);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(DevBroker broker, String group, int maxPollIntervalMs) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, maxPollIntervalMs);
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private static ConsumerRecord<byte[], byte[]> pollOne(KafkaConsumer<byte[], byte[]> consumer, String topic,
                                                          PromptLedger ledger) {
        consumer.subscribe(List.of(topic), new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
            }

            @Override
            public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                partitions.forEach(tp -> ledger.assigned(tp, null));
            }
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                return r;
            }
        }
        throw new AssertionError("no prompt record polled");
    }

    private static void produce(DevBroker broker, String topic, String id) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (var producer = new KafkaProducer<byte[], byte[]>(p)) {
            byte[] b = id.getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(topic, b, b)).get();
        }
    }

    private static List<String> readAll(DevBroker broker, String topic, String isolation) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<String> out = new ArrayList<>();
        try (var c = new KafkaConsumer<byte[], byte[]>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(100)).forEach(r -> out.add(new String(r.key(), StandardCharsets.UTF_8)));
            }
        }
        return out;
    }
}
