package dev.minitron.worker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.Topics;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * {@code generate}: sends one prompt and streams its answer. The consumer is positioned at the end
 * of every output partition before the prompt is produced, so no answer can slip past it.
 */
final class GenerateCommand {

    static final String USAGE = """
            usage: minitron generate (--prompt TEXT | --json JSON) [--id ID] [--max-tokens N]
                                     [--temperature T] [--seed S] [--timeout 60s] [--bootstrap HOST:PORT]
              Sends a prompt and writes its tokens to stdout as they arrive; a summary (finish reason,
              usage, timing) goes to stderr. Ctrl-C cancels the request.
              Exit codes: 0 answered, 1 error answer, 2 usage, 3 no answer within --timeout.
            """;

    private final PrintStream out;
    private final PrintStream err;

    GenerateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(Args args) throws UsageException {
        if (!args.positional().isEmpty()) {
            throw new UsageException("unexpected argument " + args.positional().getFirst());
        }
        var defaults = PromptEvents.Defaults.from(args);
        ObjectNode event = args.get("--prompt").isPresent() ? PromptEvents.ofPrompt(args.get("--prompt").get(), defaults)
                : args.get("--json").isPresent() ? PromptEvents.ofJson(args.get("--json").get(), defaults)
                : null;
        if (event == null) {
            throw new UsageException("generate needs --prompt TEXT (or --json JSON)");
        }
        Duration timeout = args.duration("--timeout", Duration.ofSeconds(60));
        String bootstrap = MinitronCli.bootstrap(args);
        String id = event.get("id").asText();
        try (CliTracing tracing = CliTracing.fromEnvironment();
             KafkaConsumer<String, String> consumer = KafkaClients.consumer(bootstrap);
             KafkaProducer<String, String> producer = KafkaClients.producer(bootstrap)) {
            KafkaClients.assignAll(consumer, List.of(Topics.TOKENS, Topics.COMPLETIONS, Topics.ERRORS),
                    false, bootstrap);
            long sentAt = System.nanoTime();
            var record = PromptEvents.record(Topics.PROMPTS, event);
            CliTracing.Send send = tracing.onSend(record);
            RecordMetadata sent = KafkaClients.sendAndWait(producer, record, bootstrap);
            send.acknowledged(sent, null);
            var answered = new AtomicBoolean();
            Thread cancelOnCtrlC = new Thread(() -> {
                if (!answered.get()) {
                    cancel(producer, id);
                }
            }, "generate-cancel");
            Runtime.getRuntime().addShutdownHook(cancelOnCtrlC);
            var answer = new Answer(id, sent, new TokenStream(out, err), sentAt);
            int code = answer.await(consumer, timeout);
            answered.set(true);
            if (code == MinitronCli.TIMEOUT) {
                err.printf("No answer for %s within %d s (%d tokens so far). Is a worker running? Its events:"
                        + " ./minitron consume --id %s --from-beginning%n", id, timeout.toSeconds(),
                        answer.stream.tokensSeen(), id);
            }
            err.println("trace id " + send.traceId());
            return code;
        }
    }

    /** Best effort on Ctrl-C: a cancel event lets the worker stop generating and free the KV cache. */
    private void cancel(KafkaProducer<String, String> producer, String id) {
        try {
            ObjectNode cancel = PromptEvents.JSON.createObjectNode().put("id", id);
            producer.send(new ProducerRecord<>(Topics.CANCELS, id, cancel.toString())).get(2, TimeUnit.SECONDS);
            err.println("\n[cancelled " + id + "]");
        } catch (Exception e) {
            err.println("\n[could not send a cancel for " + id + ": " + e.getMessage() + "]");
        }
    }

    /** Reads the output topics until this request's completion or error arrives. */
    private final class Answer {
        private final String id;
        private final RecordMetadata prompt;
        private final TokenStream stream;
        private final long sentAt;
        private long firstTokenAt;

        Answer(String id, RecordMetadata prompt, TokenStream stream, long sentAt) {
            this.id = id;
            this.prompt = prompt;
            this.stream = stream;
            this.sentAt = sentAt;
        }

        int await(KafkaConsumer<String, String> consumer, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                    JsonNode value = EventFormat.value(record);
                    Integer code = switch (record.topic()) {
                        case Topics.TOKENS -> onToken(record, value);
                        case Topics.COMPLETIONS -> onCompletion(record, value);
                        case Topics.ERRORS -> onError(record, value);
                        default -> null;
                    };
                    if (code != null) {
                        return code;
                    }
                }
            }
            return MinitronCli.TIMEOUT;
        }

        private Integer onToken(ConsumerRecord<String, String> record, JsonNode value) {
            if (id.equals(EventFormat.id(record, value))) {
                if (firstTokenAt == 0) {
                    firstTokenAt = System.nanoTime();
                }
                stream.onToken(value.path("attempt").asInt(0), value.path("seq").asInt(-1),
                        value.path("text").asText(""));
            }
            return null;
        }

        private Integer onCompletion(ConsumerRecord<String, String> record, JsonNode value) {
            if (!id.equals(EventFormat.id(record, value))
                    || !stream.onCompletion(value.path("attempt").asInt(0), value.path("text").textValue())) {
                return null;
            }
            err.println(CompletionSummary.of(value, sentAt, firstTokenAt, System.nanoTime()));
            if ("error".equals(value.path("finish_reason").asText())) {
                JsonNode error = value.path("error");
                err.println("error: " + error.path("code").asText("unknown") + ": " + error.path("message").asText(""));
                return MinitronCli.ERROR;
            }
            return MinitronCli.OK;
        }

        /** An error event names the request by key or id, or by the prompt record's partition and offset. */
        private Integer onError(ConsumerRecord<String, String> record, JsonNode value) {
            JsonNode source = value.has("source") ? value.get("source") : value;
            boolean ours = id.equals(EventFormat.id(record, value))
                    || (prompt.topic().equals(source.path("topic").asText())
                        && source.path("partition").asInt(-1) == prompt.partition()
                        && source.path("offset").asLong(-1) == prompt.offset());
            if (!ours) {
                return null;
            }
            err.println("error: the prompt was rejected: " + value.path("code").asText(value.path("error_code").asText("?"))
                    + ": " + value.path("message").asText(value.toString()));
            return MinitronCli.ERROR;
        }
    }
}
