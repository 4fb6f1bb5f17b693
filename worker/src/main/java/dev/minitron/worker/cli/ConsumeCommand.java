package dev.minitron.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.Topics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.WakeupException;

/** {@code consume}: prints the events of some topics as they arrive, optionally for one request id. */
final class ConsumeCommand {

    static final String USAGE = """
            usage: minitron consume [--bootstrap HOST:PORT] [--id ID] [--from-beginning]
                                    [--topics tokens,completions,errors] [--pretty] [--max N] [--follow]
              Prints each event as one JSON line {topic, partition, offset, timestamp, key, headers,
              value}, or with --pretty as one line of text, until Ctrl-C (or N events with --max).
              With --id it stops after that request's completion or error event (unless --follow).
              Topics may be short names (prompts, tokens, completions, errors, cancels) or full names.
              Without --from-beginning only new events are shown.
            """;

    private final PrintStream out;
    private final PrintStream err;

    ConsumeCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(Args args) throws UsageException {
        if (!args.positional().isEmpty()) {
            throw new UsageException("unexpected argument " + args.positional().getFirst());
        }
        List<String> topics = topics(args.get("--topics", "tokens,completions,errors"));
        String id = args.get("--id").orElse(null);
        boolean pretty = args.flag("--pretty");
        long max = args.integer("--max", 0);
        boolean untilAnswered = id != null && !args.flag("--follow");
        String bootstrap = MinitronCli.bootstrap(args);

        var consumer = KafkaClients.consumer(bootstrap);
        var stopped = new CountDownLatch(1);
        Thread onCtrlC = new Thread(() -> {
            consumer.wakeup();
            awaitQuietly(stopped);
        }, "consume-stop");
        Runtime.getRuntime().addShutdownHook(onCtrlC);
        long shown = 0;
        try (consumer) {
            KafkaClients.assignAll(consumer, topics, args.flag("--from-beginning"), bootstrap);
            boolean answered = false;
            while (!answered && (max == 0 || shown < max)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode value = EventFormat.value(record);
                    if (id != null && !id.equals(EventFormat.id(record, value))) {
                        continue;
                    }
                    out.println(pretty ? EventFormat.pretty(record, value) : EventFormat.envelope(record, value));
                    answered = untilAnswered && (record.topic().endsWith("completions") || record.topic().endsWith("errors"));
                    if (answered || (max > 0 && ++shown >= max)) {
                        break;
                    }
                }
                out.flush();
            }
        } catch (WakeupException e) {
            // Ctrl-C
        } finally {
            stopped.countDown();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onCtrlC);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return MinitronCli.OK;
    }

    private static final Map<String, String> SHORT_NAMES = Map.of(
            "prompts", Topics.PROMPTS, "tokens", Topics.TOKENS, "completions", Topics.COMPLETIONS,
            "errors", Topics.ERRORS, "cancels", Topics.CANCELS);

    /** {@code tokens,completions} → the contract's topic names; other names must be full (dotted) names. */
    static List<String> topics(String csv) throws UsageException {
        var topics = new ArrayList<String>();
        for (String name : csv.split(",")) {
            name = name.strip();
            String topic = SHORT_NAMES.getOrDefault(name, name.contains(".") ? name : null);
            if (topic == null) {
                throw new UsageException("unknown topic '" + name + "': use prompts, tokens, completions, errors,"
                        + " cancels, or a full topic name");
            }
            if (!topics.contains(topic)) {
                topics.add(topic);
            }
        }
        return topics;
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
