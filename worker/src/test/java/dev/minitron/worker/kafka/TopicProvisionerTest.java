package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Topic creation and the startup check, against a real broker, with fresh topic names per test. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicProvisionerTest {

    private static TopicProvisioner.Spec spec(int partitions) {
        String p = "t" + UUID.randomUUID().toString().substring(0, 8) + ".";
        return new TopicProvisioner.Spec(p + "prompts", p + "tokens", p + "completions", p + "errors", p + "cancels",
                partitions, (short) -1, Duration.ofMinutes(30));
    }

    private static Admin admin(DevBroker kafka) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    @Test
    void createsWhatIsMissingWithCompactedCompletionsAndShortLivedTokens(DevBroker kafka) throws Exception {
        var spec = spec(3);
        try (Admin admin = admin(kafka)) {
            assertThat(TopicProvisioner.create(admin, spec)).containsExactlyElementsOf(spec.names());
            assertThat(TopicProvisioner.create(admin, spec)).isEmpty();
            assertThat(TopicProvisioner.verify(admin, spec, true, kafka.bootstrapServers())).isEmpty();

            var described = admin.describeTopics(List.of(spec.prompts())).allTopicNames().get();
            assertThat(described.get(spec.prompts()).partitions()).hasSize(3);
            var tokens = new ConfigResource(ConfigResource.Type.TOPIC, spec.tokens());
            var config = admin.describeConfigs(List.of(tokens)).all().get().get(tokens);
            assertThat(config.get(TopicConfig.RETENTION_MS_CONFIG).value()).isEqualTo("1800000");
        }
    }

    @Test
    void namesEveryMissingTopicAndACompletionsTopicThatIsNotCompacted(DevBroker kafka) throws Exception {
        var spec = spec(2);
        try (Admin admin = admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(spec.prompts(), 2, (short) 1),
                    new NewTopic(spec.completions(), 2, (short) 1))).all().get();
            List<String> problems = TopicProvisioner.verify(admin, spec, true, kafka.bootstrapServers());
            assertThat(problems).hasSize(4);
            assertThat(problems).anySatisfy(p -> assertThat(p).contains(spec.tokens()).contains("does not exist"));
            assertThat(problems).anySatisfy(p -> assertThat(p).contains(spec.completions())
                    .contains("cleanup.policy=delete").contains("compact"));
        }
    }

    /** The broker: prompts auto-created with the broker's 1 partition beside 4-partition outputs. */
    @Test
    void refusesTopicsTheStatusViewCannotJoinAndNamesTheFix(DevBroker kafka) throws Exception {
        var spec = spec(4);
        try (Admin admin = admin(kafka)) {
            admin.createTopics(List.of(new NewTopic(spec.prompts(), 1, (short) 1))).all().get();
            assertThat(TopicProvisioner.create(admin, spec)).doesNotContain(spec.prompts());

            List<String> problems = TopicProvisioner.verify(admin, spec, true, kafka.bootstrapServers());
            assertThat(problems).singleElement().asString()
                    .contains("not co-partitioned")
                    .contains(spec.prompts() + " 1, " + spec.tokens() + " 4, " + spec.completions() + " 4, "
                            + spec.errors() + " 4")
                    .contains("kafka-topics.sh --bootstrap-server " + kafka.bootstrapServers() + " --alter --topic "
                            + spec.prompts() + " --partitions 4")
                    .doesNotContain("--topic " + spec.tokens())
                    .contains("minitron.status.enabled=false");
            // without the status view nothing joins them: one partition of prompts is a choice (one worker)
            assertThat(TopicProvisioner.verify(admin, spec, false, kafka.bootstrapServers())).isEmpty();

            // the fix the problem names; the broker's metadata shows the new partitions a moment later
            admin.createPartitions(Map.of(spec.prompts(), NewPartitions.increaseTo(4))).all().get();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (admin.describeTopics(List.of(spec.prompts())).allTopicNames().get().get(spec.prompts())
                    .partitions().size() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(TopicProvisioner.verify(admin, spec, true, kafka.bootstrapServers())).isEmpty();
        }
    }

    @Test
    void everySmallerTopicGetsItsCommand() {
        var counts = new LinkedHashMap<String, Integer>();
        counts.put("p", 2);
        counts.put("t", 6);
        counts.put("c", 6);
        counts.put("e", 3);
        assertThat(TopicProvisioner.coPartitioning(counts, "b:9092")).get().asString()
                .contains("(partitions: p 2, t 6, c 6, e 3)")
                .contains("--alter --topic p --partitions 6 && kafka-topics.sh --bootstrap-server b:9092 --alter --topic e"
                        + " --partitions 6");
        counts.put("p", 6);
        counts.put("e", 6);
        assertThat(TopicProvisioner.coPartitioning(counts, "b:9092")).isEmpty();
    }
}
