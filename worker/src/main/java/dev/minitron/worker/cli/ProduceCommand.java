package dev.minitron.worker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.Topics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.errors.TimeoutException;

/** {@code produce}: writes prompt events keyed by id and prints each id once the broker has it. */
final class ProduceCommand {

    static final String USAGE = """
            usage: minitron produce [--bootstrap HOST:PORT] [--topic minitron.prompts] [--id ID]
                                    (--prompt TEXT | --json JSON | JSON lines on stdin)
                                    [--max-tokens N] [--temperature T] [--seed S]
              Writes prompt events keyed by their id (a random UUID when none is given) with an
              idempotent producer and acks=all, and prints each id. --max-tokens, --temperature and
              --seed fill in fields an event lacks.
            """;

    private final PrintStream out;
    private final PrintStream err;

    ProduceCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(Args args) throws UsageException {
        if (!args.positional().isEmpty()) {
            throw new UsageException("unexpected argument " + args.positional().getFirst());
        }
        if (args.get("--prompt").isPresent() && args.get("--json").isPresent()) {
            throw new UsageException("give --prompt or --json, not both");
        }
        var defaults = PromptEvents.Defaults.from(args);
        String bootstrap = MinitronCli.bootstrap(args);
        String topic = args.get("--topic", Topics.PROMPTS);
        ObjectNode single = args.get("--prompt").isPresent() ? PromptEvents.ofPrompt(args.get("--prompt").get(), defaults)
                : args.get("--json").isPresent() ? PromptEvents.ofJson(args.get("--json").get(), defaults)
                : null;
        try (CliTracing tracing = CliTracing.fromEnvironment();
             KafkaProducer<String, String> producer = KafkaClients.producer(bootstrap)) {
            if (single != null) {
                send(producer, tracing, topic, single, bootstrap);
                return MinitronCli.OK;
            }
            return sendLines(producer, tracing, topic, defaults, bootstrap);
        }
    }

    private void send(KafkaProducer<String, String> producer, CliTracing tracing, String topic, ObjectNode event,
                      String bootstrap) {
        var record = PromptEvents.record(topic, event);
        var send = tracing.onSend(record);
        send.acknowledged(KafkaClients.sendAndWait(producer, record, bootstrap), null);
        out.println(event.get("id").asText());
    }

    /** One event per non-blank line; a bad line is reported and skipped, and makes the exit code 1. */
    private int sendLines(KafkaProducer<String, String> producer, CliTracing tracing, String topic,
                          PromptEvents.Defaults defaults, String bootstrap) {
        if (System.console() != null && System.console().isTerminal()) {
            err.println("Reading prompt events from stdin, one JSON object per line; Ctrl-D ends.");
        }
        var failures = new AtomicInteger();
        var reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                ObjectNode event;
                try {
                    event = PromptEvents.ofJson(line, defaults);
                } catch (UsageException e) {
                    err.println("line " + number + ": " + e.getMessage() + " (skipped)");
                    failures.incrementAndGet();
                    continue;
                }
                String id = event.get("id").asText();
                var record = PromptEvents.record(topic, event);
                var send = tracing.onSend(record);
                producer.send(record, (metadata, error) -> {
                    send.acknowledged(metadata, error);
                    if (error == null) {
                        out.println(id);
                    } else {
                        err.println(id + ": not written: " + error.getMessage()
                                + (error instanceof TimeoutException ? " (is Kafka running at " + bootstrap + "?)" : ""));
                        failures.incrementAndGet();
                    }
                });
            }
            producer.flush();
        } catch (TimeoutException e) {
            throw KafkaClients.unreachable(bootstrap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return failures.get() == 0 ? MinitronCli.OK : MinitronCli.ERROR;
    }
}
