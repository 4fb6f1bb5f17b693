package dev.minitron.worker.dev;

import dev.minitron.schemas.Topics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.worker.testing.KafkaBrokerExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaBrokerExtension.class)
class DevBrokerTest {

    private static final Duration READY = Duration.ofSeconds(90);

    @Test
    void createsTheContractTopicsWithCompactedCompletions(DevBroker kafka) throws Exception {
        try (Admin admin = admin(kafka)) {
            var topics = admin.describeTopics(TopicSetup.TOPICS).allTopicNames().get();
            assertThat(topics).containsOnlyKeys(TopicSetup.TOPICS);
            assertThat(topics.get(Topics.PROMPTS).partitions()).hasSize(TopicSetup.DEFAULT_PARTITIONS);

            var completions = new ConfigResource(ConfigResource.Type.TOPIC, Topics.COMPLETIONS);
            var config = admin.describeConfigs(List.of(completions)).all().get().get(completions);
            assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
        }
    }

    @Test
    void ensureTopicsLeavesExistingTopicsAlone(DevBroker kafka) {
        assertThat(TopicSetup.ensureTopics(kafka.bootstrapServers(), 8)).isEmpty();
    }

    @Test
    void aConsumerGroupReceivesARecordAndCommitsItsOffset(DevBroker kafka) throws Exception {
        String id = "devbroker-" + UUID.randomUUID();
        String group = "devbroker-test-" + UUID.randomUUID();
        RecordMetadata written;
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new StringSerializer())) {
            written = producer.send(new ProducerRecord<>(Topics.PROMPTS, id, "{\"id\":\"" + id + "\"}")).get();
        }

        var partition = new TopicPartition(Topics.PROMPTS, written.partition());
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.PROMPTS));
            assertThat(pollUntilKey(consumer, id, Duration.ofSeconds(30)).offset()).isEqualTo(written.offset());
            consumer.commitSync(Map.of(partition, new OffsetAndMetadata(written.offset() + 1)));
        }

        try (Admin admin = admin(kafka)) {
            var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            assertThat(committed.get(partition).offset()).isEqualTo(written.offset() + 1);
        }
    }

    /** Auto-creation off: a producer (or consumer, or CLI) that comes first cannot make a 1-partition topic. */
    @Test
    void aClientAskingForAnUnknownTopicDoesNotCreateIt(DevBroker kafka) throws Exception {
        String topic = "devbroker-unknown-" + UUID.randomUUID();
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 2_000), new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic, "k", "v")).get())
                    .hasMessageContaining("not present in metadata");
        }
        try (Admin admin = admin(kafka)) {
            assertThat(admin.listTopics().names().get()).doesNotContain(topic);
        }
    }

    @Test
    void closeLeavesNoProcessBehind(@TempDir Path dataDir) {
        var broker = DevBroker.start(DevBroker.Options.inDirectory(dataDir)).awaitReady(READY);
        long pid = broker.pid();
        var descendants = ProcessHandle.of(pid).orElseThrow().descendants().toList();

        broker.close();

        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        assertThat(descendants).noneMatch(ProcessHandle::isAlive);
        assertThat(Ports.accepts(DevBroker.HOST, broker.brokerPort())).isFalse();
    }

    @Test
    void restartsOnItsDataDirectoryWithTheTopicsItHad(@TempDir Path dataDir) throws Exception {
        try (var first = DevBroker.start(DevBroker.Options.inDirectory(dataDir)).awaitReady(READY)) {
            TopicSetup.ensureTopics(first.bootstrapServers(), 2);
        }
        try (var second = DevBroker.start(DevBroker.Options.inDirectory(dataDir)).awaitReady(READY);
             Admin admin = admin(second)) {
            assertThat(admin.listTopics().names().get()).containsAll(TopicSetup.TOPICS);
        }
    }

    @Test
    void aBusyPortIsReportedClearly(@TempDir Path dataDir) throws IOException {
        try (var taken = new ServerSocket(0, 1, InetAddress.getByName(DevBroker.HOST))) {
            var options = DevBroker.Options.inDirectory(dataDir).withPorts(taken.getLocalPort(), 0);

            assertThatThrownBy(() -> DevBroker.start(options))
                    .isInstanceOf(DevBrokerException.class)
                    .hasMessageContaining("Port " + taken.getLocalPort())
                    .hasMessageContaining("already in use")
                    .hasMessageContaining("--port");
        }
    }

    @Test
    void aMissingClasspathFileSaysHowToBuildIt(@TempDir Path dataDir) {
        var options = DevBroker.Options.inDirectory(dataDir).withClasspathFile(dataDir.resolve("missing.classpath"));

        assertThatThrownBy(() -> DevBroker.start(options))
                .isInstanceOf(DevBrokerException.class)
                .hasMessageContaining("./mvnw -DskipTests package");
    }

    private static Admin admin(DevBroker kafka) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    private static ConsumerRecord<String, String> pollUntilKey(KafkaConsumer<String, String> consumer, String key,
                                                               Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        var seen = new ArrayList<String>();
        while (System.nanoTime() < deadline) {
            for (var record : consumer.poll(Duration.ofMillis(200))) {
                if (key.equals(record.key())) {
                    return record;
                }
                seen.add(record.key());
            }
        }
        throw new AssertionError("no record keyed " + key + " within " + timeout + "; saw " + seen);
    }
}
