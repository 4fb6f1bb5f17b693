package dev.minitron.worker.cli;

import dev.minitron.worker.dev.TopicSetup;
import java.io.PrintStream;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.TimeoutException;

/** {@code topics create}: creates the contract's topics where they are missing. */
final class TopicsCommand {

    static final String USAGE = """
            usage: minitron topics create [--partitions 4] [--bootstrap HOST:PORT]
              Creates minitron.prompts, .tokens, .completions (compacted), .errors and .cancels where
              they are missing, with the cluster's default replication factor.
            """;

    private final PrintStream out;

    TopicsCommand(PrintStream out) {
        this.out = out;
    }

    int run(Args args) throws UsageException {
        List<String> words = args.positional();
        if (words.size() != 1 || !words.getFirst().equals("create")) {
            throw new UsageException(words.isEmpty() ? "topics needs a subcommand: create"
                    : "unknown topics subcommand '" + String.join(" ", words) + "'");
        }
        int partitions = args.integer("--partitions", TopicSetup.DEFAULT_PARTITIONS);
        if (partitions < 1) {
            throw new UsageException("--partitions must be at least 1");
        }
        String bootstrap = MinitronCli.bootstrap(args);
        List<String> created;
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            created = TopicSetup.ensureTopics(admin, partitions);
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw KafkaClients.unreachable(bootstrap);
            }
            throw new CliException(MinitronCli.ERROR, e.getMessage());
        }
        for (String topic : TopicSetup.TOPICS) {
            out.println((created.contains(topic) ? "created  " : "exists   ") + topic);
        }
        return MinitronCli.OK;
    }
}
