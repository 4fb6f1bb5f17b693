package dev.minitron.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.TopicSet;
import dev.minitron.worker.testing.WorkerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged worker, status view on (as shipped), on topics it cannot join: prompts with one
 * partition (what a broker that auto-creates topics makes when a client asks first) beside
 * two-partition outputs. It must not start, and its log must say which topics, their counts and the
 * command that fixes them, instead of serving a status view that answers wrongly for good.
 */
@ExtendWith(KafkaBrokerExtension.class)
class CoPartitioningIT {

    @Test
    void aWorkerRefusesTopicsItsStatusViewCannotJoinAndNamesTheFix(DevBroker broker, @TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 5);
        String bootstrap = broker.bootstrapServers();
        String p = "copart";
        var topics = new TopicSet(p + ".prompts", p + ".tokens", p + ".completions", p + ".errors", p + ".cancels",
                p + "-workers");
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topics.prompts(), 1, (short) 1),
                    new NewTopic(topics.tokens(), 2, (short) 1),
                    new NewTopic(topics.completions(), 2, (short) 1).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT)),
                    new NewTopic(topics.errors(), 2, (short) 1),
                    new NewTopic(topics.cancels(), 1, (short) 1))).all().get();
        }

        try (WorkerProcess worker = WorkerProcess.start("copart", bootstrap, model, Fleet.logDir("CoPartitioningIT"),
                Fleet.settings(topics))) {
            assertThat(worker.awaitExit(Duration.ofSeconds(120))).as("exit code").isNotZero();
            assertThat(worker.logText())
                    .contains("not co-partitioned (partitions: copart.prompts 1, copart.tokens 2, copart.completions 2,"
                            + " copart.errors 2)")
                    .contains("kafka-topics.sh --bootstrap-server " + bootstrap
                            + " --alter --topic copart.prompts --partitions 2")
                    .contains("minitron.status.enabled=false");
        }
    }
}
