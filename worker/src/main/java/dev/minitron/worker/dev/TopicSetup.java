package dev.minitron.worker.dev;

import dev.minitron.schemas.Topics;
import dev.minitron.worker.kafka.TopicProvisioner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Creates the wire contract's topics, by their default names, where they are missing: for the CLI,
 * the demo and tests (a worker uses {@link TopicProvisioner} with its configured names). The
 * replication factor is the cluster's default (1 on the dev broker); completions are compacted, keyed
 * by request id, so a redelivered request's duplicate completions collapse to the newest; tokens are
 * kept an hour.
 */
public final class TopicSetup {

    /** The wire contract's topics, by their default names. */
    public static final List<String> TOPICS =
            List.of(Topics.PROMPTS, Topics.TOKENS, Topics.COMPLETIONS, Topics.ERRORS, Topics.CANCELS);
    public static final int DEFAULT_PARTITIONS = 4;
    private static final long TIMEOUT_SECONDS = 30;

    private TopicSetup() {}

    /** Returns the topics it created; topics that already exist are left as they are. */
    public static List<String> ensureTopics(String bootstrapServers, int partitions) {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS)))) {
            return ensureTopics(admin, partitions);
        }
    }

    public static List<String> ensureTopics(Admin admin, int partitions) {
        return TopicProvisioner.create(admin, spec(partitions));
    }

    /** The default names, {@code partitions} each, the cluster's replication factor, tokens kept an hour. */
    public static TopicProvisioner.Spec spec(int partitions) {
        return new TopicProvisioner.Spec(Topics.PROMPTS, Topics.TOKENS, Topics.COMPLETIONS, Topics.ERRORS,
                Topics.CANCELS, partitions, (short) -1, Duration.ofHours(1));
    }
}
