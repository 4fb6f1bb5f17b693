package dev.minitron.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.schemas.Topics;
import dev.minitron.worker.dev.TopicSetup;
import java.io.IOException;
import java.net.Socket;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

class KafkaBrokerResourceTest {

    @Test
    void startGivesQuarkusTheBootstrapOfABrokerWithTheTopicsAndStopEndsIt() throws Exception {
        var resource = new KafkaBrokerResource();
        resource.init(Map.of("partitions", "2"));
        Map<String, String> config = resource.start();
        String bootstrap = config.get("kafka.bootstrap.servers");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            var prompts = admin.describeTopics(TopicSetup.TOPICS).allTopicNames().get().get(Topics.PROMPTS);
            assertThat(prompts.partitions()).hasSize(2);
        } finally {
            resource.stop();
        }
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        assertThat(portAccepts(port)).isFalse();
    }

    private static boolean portAccepts(int port) {
        try (var socket = new Socket("localhost", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
