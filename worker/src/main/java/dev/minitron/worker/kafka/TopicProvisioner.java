package dev.minitron.worker.kafka;

import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.status.StatusConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * Creates the wire contract's topics where they are missing ({@code minitron.topics.create}) and
 * verifies them at startup ({@code minitron.topics.verify}): a worker whose answers would go
 * nowhere, whose duplicate completions would never collapse, or whose status view would join a
 * request's events across partitions, refuses to start and says why. A broker that cannot be reached
 * is not a reason to refuse: the worker starts, logs that it could not check, and waits for Kafka
 * like any client.
 */
@ApplicationScoped
public class TopicProvisioner {

    private static final Logger LOG = Logger.getLogger(TopicProvisioner.class);
    private static final long TIMEOUT_SECONDS = 30;
    /** How long a topic reported as unknown is asked about again before it counts as missing. */
    private static final long UNKNOWN_TOPIC_SETTLE_MS = 3_000;

    /** The topic names and what to create them with. */
    public record Spec(String prompts, String tokens, String completions, String errors, String cancels,
                       int partitions, short replicationFactor, Duration tokensRetention) {

        public List<String> names() {
            return List.of(prompts, tokens, completions, errors, cancels);
        }

        /** The topics the status view merges by request id: one partition count for all four. */
        public List<String> joined() {
            return List.of(prompts, tokens, completions, errors);
        }

        static Spec of(WorkerConfig.Topics t) {
            return new Spec(t.prompts(), t.tokens(), t.completions(), t.errors(), t.cancels(), t.partitions(),
                    t.replicationFactor(), t.tokensRetention());
        }
    }

    private final WorkerConfig config;
    private final KafkaSettings settings;
    private final StatusConfig status;

    public TopicProvisioner(WorkerConfig config, KafkaSettings settings, StatusConfig status) {
        this.config = config;
        this.settings = settings;
        this.status = status;
    }

    /** Before the consumers start (they observe the same event at the default priority). */
    void onStart(@Observes @Priority(10) StartupEvent event) {
        WorkerConfig.Topics t = config.topics();
        if (!t.create() && !t.verify()) {
            return;
        }
        Spec spec = Spec.of(t);
        List<String> problems;
        try (Admin admin = Admin.create(settings.admin())) {
            if (t.create()) {
                List<String> created = create(admin, spec);
                if (!created.isEmpty()) {
                    LOG.infof("created topics %s", created);
                }
            }
            problems = verify(admin, spec, status.enabled(),
                    String.valueOf(settings.admin().get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)));
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof TimeoutException || e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                LOG.warnf("could not check the topics (Kafka not reachable within %d s): starting anyway", TIMEOUT_SECONDS);
                return;
            }
            throw e;
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the Kafka topics are not usable: " + String.join("; ", problems));
        }
    }

    /** Creates the missing topics; returns the names it created. Existing topics are left as they are. */
    public static List<String> create(Admin admin, Spec spec) {
        if (spec.partitions() < 1) {
            throw new IllegalArgumentException("partitions must be at least 1: " + spec.partitions());
        }
        List<NewTopic> topics = spec.names().stream().map(name -> newTopic(spec, name)).toList();
        List<String> created = new ArrayList<>();
        var results = admin.createTopics(topics).values();
        for (String name : spec.names()) {
            try {
                results.get(name).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                created.add(name);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("Kafka did not create the topics within " + TIMEOUT_SECONDS + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topics", e);
            }
        }
        return created;
    }

    static NewTopic newTopic(Spec spec, String name) {
        Optional<Short> replication = spec.replicationFactor() > 0 ? Optional.of(spec.replicationFactor()) : Optional.empty();
        var topic = new NewTopic(name, Optional.of(spec.partitions()), replication);
        Map<String, String> configs = new HashMap<>();
        if (name.equals(spec.completions())) {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (name.equals(spec.tokens())) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(spec.tokensRetention().toMillis()));
        }
        return topic.configs(configs);
    }

    /**
     * What is wrong with the topics, one sentence each; empty when they are usable. Checked: each
     * exists; completions are compacted (a redelivered request's completions must collapse to one by
     * id); with the status view on, prompts, tokens, completions and errors have one partition count
     * ({@link #coPartitioning}). Otherwise partition counts are reported, not judged: prompts' count
     * caps how many workers share the load, and cancels may have any count (every worker reads them
     * all).
     *
     * @param statusView whether this worker runs the status view ({@code minitron.status.enabled})
     * @param bootstrap the cluster, for the command a problem names
     */
    public static List<String> verify(Admin admin, Spec spec, boolean statusView, String bootstrap) {
        List<String> problems = new ArrayList<>();
        Map<String, TopicDescription> found = new HashMap<>();
        for (String name : spec.names()) {
            try {
                found.put(name, describe(admin, name));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    problems.add("topic " + name + " does not exist (create it with `./minitron topics create`,"
                            + " or start the worker with minitron.topics.create=true)");
                } else {
                    throw new IllegalStateException("cannot describe topic " + name + ": " + e.getCause().getMessage(),
                            e.getCause());
                }
            } catch (TimeoutException e) {
                throw new IllegalStateException("Kafka did not describe the topics within " + TIMEOUT_SECONDS + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while describing topics", e);
            }
        }
        if (found.containsKey(spec.completions())) {
            String policy = cleanupPolicy(admin, spec.completions());
            if (policy != null && !List.of(policy.replace(" ", "").split(",")).contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                problems.add("topic " + spec.completions() + " has cleanup.policy=" + policy + "; it must include compact"
                        + " (a redelivered request's completions replace each other by id): kafka-configs --alter"
                        + " --entity-type topics --entity-name " + spec.completions()
                        + " --add-config cleanup.policy=compact");
            }
        }
        if (statusView) {
            Map<String, Integer> partitions = new LinkedHashMap<>();
            for (String name : spec.joined()) {
                if (found.containsKey(name)) {
                    partitions.put(name, found.get(name).partitions().size());
                }
            }
            coPartitioning(partitions, bootstrap).ifPresent(problems::add);
        }
        TopicDescription prompts = found.get(spec.prompts());
        if (prompts != null) {
            LOG.infof("topic %s has %d partitions: at most that many workers share the load", spec.prompts(),
                    prompts.partitions().size());
        }
        return problems;
    }

    /**
     * Why topics the status view joins cannot be joined, if they cannot. The view keys its store by
     * request id and reads partition <i>n</i> of every input in task <i>n</i>: with unequal counts a
     * request's prompt and its answers hash to different tasks, and the view answers wrongly for good
     * ({@code done} with {@code prompt_seen: false}, ids stuck in {@code queued}, usage never
     * metered). Partitions can only be added, so the fix raises each smaller topic to the largest
     * count.
     *
     * @param partitions topic name to its partition count, in the order to name them
     * @param bootstrap the cluster, for the command
     */
    public static Optional<String> coPartitioning(Map<String, Integer> partitions, String bootstrap) {
        int most = partitions.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (partitions.values().stream().allMatch(n -> n == most)) {
            return Optional.empty();
        }
        StringBuilder counts = new StringBuilder();
        List<String> fixes = new ArrayList<>();
        partitions.forEach((name, n) -> {
            counts.append(counts.isEmpty() ? "" : ", ").append(name).append(' ').append(n);
            if (n < most) {
                fixes.add("kafka-topics.sh --bootstrap-server " + bootstrap + " --alter --topic " + name
                        + " --partitions " + most);
            }
        });
        return Optional.of("the topics the status view joins by request id are not co-partitioned (partitions: "
                + counts + "), so it would answer wrongly; give them all " + most + " partitions: "
                + String.join(" && ", fixes) + " (or run the worker with minitron.status.enabled=false)");
    }

    /**
     * Describes one topic, asking again for a few seconds while the broker says it does not exist:
     * a topic created a moment ago reaches the metadata of every broker only after a short delay.
     */
    private static TopicDescription describe(Admin admin, String name)
            throws ExecutionException, InterruptedException, TimeoutException {
        long giveUp = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNKNOWN_TOPIC_SETTLE_MS);
        while (true) {
            try {
                return admin.describeTopics(List.of(name)).topicNameValues().get(name).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > giveUp) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private static String cleanupPolicy(Admin admin, String topic) {
        var resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config c = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).get(resource);
            var entry = c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            return entry == null ? null : entry.value();
        } catch (ExecutionException e) {
            LOG.warnf("cannot read the configs of %s (%s): its cleanup.policy is not checked", topic,
                    e.getCause().toString());
            return null;
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not describe " + topic + " within " + TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing " + topic, e);
        }
    }
}
