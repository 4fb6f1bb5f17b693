package dev.minitron.worker.testing;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * A fresh set of the contract's topics and a fresh consumer group, named by a prefix, so tests that
 * share one broker never see each other's records (completions compacted, as in production).
 */
public record TopicSet(String prompts, String tokens, String completions, String errors, String cancels, String group) {

    public static TopicSet create(String bootstrap, String prefix, int partitions) throws Exception {
        return create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), prefix, partitions);
    }

    /** @param adminSettings an admin client's settings: bootstrap servers and, on a secured cluster, credentials */
    public static TopicSet create(Map<String, Object> adminSettings, String prefix, int partitions) throws Exception {
        TopicSet t = new TopicSet(prefix + ".prompts", prefix + ".tokens", prefix + ".completions", prefix + ".errors",
                prefix + ".cancels", prefix + "-workers");
        try (Admin admin = Admin.create(adminSettings)) {
            admin.createTopics(List.of(topic(t.prompts, partitions), topic(t.tokens, partitions),
                    topic(t.completions, partitions).configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
                            TopicConfig.CLEANUP_POLICY_COMPACT)),
                    topic(t.errors, partitions), topic(t.cancels, partitions))).all().get();
        }
        return t;
    }

    private static NewTopic topic(String name, int partitions) {
        return new NewTopic(name, Optional.of(partitions), Optional.empty());
    }

    /** The worker configuration that points a worker at these topics and this group. */
    public Map<String, String> workerSettings() {
        return Map.of("minitron.topics.prompts", prompts, "minitron.topics.tokens", tokens,
                "minitron.topics.completions", completions, "minitron.topics.errors", errors,
                "minitron.topics.cancels", cancels, "minitron.consumer.group-id", group);
    }

    public AnswerChecker checker(String bootstrap) {
        return new AnswerChecker(bootstrap, prompts, tokens, completions, errors);
    }

    /** A checker that reads as a {@code read_committed} client does. */
    public AnswerChecker committedChecker(String bootstrap) {
        return new AnswerChecker(bootstrap, prompts, tokens, completions, errors, true);
    }
}
