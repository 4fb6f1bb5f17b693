package dev.minitron.worker.dev;

import dev.minitron.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the wire contract's topics where they are missing. The replication factor is the
 * cluster's default (1 on the dev broker); completions are compacted, keyed by request id, so a
 * redelivered request's duplicate completions collapse to the newest.
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
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1: " + partitions);
        }
        var topics = TOPICS.stream().map(name -> newTopic(name, partitions)).toList();
        var created = new ArrayList<String>();
        try {
            var results = admin.createTopics(topics).values();
            for (var name : TOPICS) {
                try {
                    results.get(name).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    created.add(name);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + name + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not create the topics within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
        return created;
    }

    static NewTopic newTopic(String name, int partitions) {
        var topic = new NewTopic(name, Optional.of(partitions), Optional.empty());
        if (name.equals(Topics.COMPLETIONS)) {
            topic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        }
        return topic;
    }
}
