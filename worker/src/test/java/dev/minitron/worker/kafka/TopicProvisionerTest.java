package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
            assertThat(TopicProvisioner.verify(admin, spec)).isEmpty();

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
            List<String> problems = TopicProvisioner.verify(admin, spec);
            assertThat(problems).hasSize(4);
            assertThat(problems).anySatisfy(p -> assertThat(p).contains(spec.tokens()).contains("does not exist"));
            assertThat(problems).anySatisfy(p -> assertThat(p).contains(spec.completions())
                    .contains("cleanup.policy=delete").contains("compact"));
        }
    }
}
