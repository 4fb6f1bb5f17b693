package dev.minitron.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * No prompt is lost when a worker is killed with SIGKILL mid-generation: a second worker answers
 * everything the first left unanswered, with the same (greedy) text, and the committed offsets end
 * at the end of the prompts topic. Real broker, real worker processes from the packaged jar.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KillNineIT {

    private static final int PROMPTS = 40;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyPromptIsAnsweredAfterAWorkerIsKilledMidGeneration(DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 99);

        Map<String, List<JsonNode>> answers = new HashMap<>();
        try (var collector = completions(bootstrap)) {
            WorkerProcess first = WorkerProcess.start("first", bootstrap, model, dir).awaitReady(Duration.ofSeconds(90));
            try (var producer = producer(bootstrap)) {
                for (int i = 1; i <= PROMPTS; i++) {
                    String id = "kill-" + i;
                    producer.send(new ProducerRecord<>(Topics.PROMPTS, id, "{\"id\":\"%s\",\"prompt\":\"Kill test %d\",\"max_tokens\":%d,\"temperature\":0,\"ignore_eos\":true}"
                            .formatted(id, i, 8 * i)));
                }
            }
            pollUntil(collector, answers, a -> a.size() >= 5, Duration.ofSeconds(120));
            first.killHard();
            int answeredByFirst = answers.size();
            assertThat(answeredByFirst).as("killed mid-generation").isLessThan(PROMPTS);

            try (WorkerProcess second = WorkerProcess.start("second", bootstrap, model, dir)
                    .awaitReady(Duration.ofSeconds(90))) {
                pollUntil(collector, answers, a -> a.size() == PROMPTS, Duration.ofSeconds(180));
                awaitCommittedToEnd(bootstrap, Duration.ofSeconds(60));
            }
        }

        for (int i = 1; i <= PROMPTS; i++) {
            List<JsonNode> forId = answers.get("kill-" + i);
            assertThat(forId).as("kill-" + i).isNotEmpty();
            for (JsonNode c : forId) {
                assertThat(c.get("finish_reason").asText()).isEqualTo("length");
                assertThat(c.get("usage").get("completion_tokens").asInt()).isEqualTo(8 * i);
                assertThat(c.get("text").asText()).as("a redelivered greedy request gives the same text")
                        .isEqualTo(forId.getFirst().get("text").asText());
            }
        }
        assertThat(answers.values().stream().flatMap(List::stream).map(c -> c.get("worker").asText()))
                .contains("second");
        // The first worker journaled what it started: its redeliveries carry a higher attempt.
        for (List<JsonNode> forId : answers.values()) {
            for (JsonNode c : forId) {
                if (c.get("worker").asText().equals("second")) {
                    int attempt = c.get("attempt").asInt();
                    forId.stream().filter(o -> o.get("worker").asText().equals("first")).forEach(o ->
                            assertThat(attempt).as("a redelivery after an answer").isGreaterThan(o.get("attempt").asInt()));
                }
            }
        }
        assertThat(answers.values().stream().flatMap(List::stream)
                .filter(c -> c.get("worker").asText().equals("second")).map(c -> c.get("attempt").asInt()))
                .as("prompts the first worker had started").contains(2);
    }

    private static void pollUntil(KafkaConsumer<String, String> consumer, Map<String, List<JsonNode>> answers,
                                  java.util.function.Predicate<Map<String, List<JsonNode>>> done, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.test(answers)) {
            assertThat(System.nanoTime()).as("answers so far: " + answers.keySet()).isLessThan(deadline);
            for (var r : consumer.poll(Duration.ofMillis(100))) {
                answers.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(JSON.readTree(r.value()));
            }
        }
    }

    /** The workers' group must end up committed at the end of every prompts partition. */
    private static void awaitCommittedToEnd(String bootstrap, Duration timeout) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                var committed = admin.listConsumerGroupOffsets("minitron-workers").partitionsToOffsetAndMetadata().get();
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                for (int p = 0; p < 4; p++) {
                    latest.put(new TopicPartition(Topics.PROMPTS, p), OffsetSpec.latest());
                }
                var ends = admin.listOffsets(latest).all().get();
                boolean done = ends.entrySet().stream().allMatch(e -> e.getValue().offset() == 0
                        || (committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() == e.getValue().offset()));
                if (done) {
                    return;
                }
                assertThat(System.nanoTime()).as("committed " + committed + " vs ends " + ends).isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    private static KafkaConsumer<String, String> completions(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        var consumer = new KafkaConsumer<String, String>(p);
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(Topics.COMPLETIONS).forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }
}
