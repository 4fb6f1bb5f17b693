package dev.minitron.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.e2e.WorkerTestResources;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The bundled CLI against a real broker and a real worker, as a user runs it. */
@QuarkusTest
@QuarkusTestResource(value = WorkerTestResources.class, restrictToAnnotatedClass = true)
class CliAgainstWorkerTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private record Run(int code, String out, String err) {
    }

    private Run cli(String... args) {
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        int code = new MinitronCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void generateStreamsTheAnswerAndSummarisesTheCompletion() {
        Run run = cli("generate", "--bootstrap", bootstrap, "--id", "cli-gen", "--prompt", "Hello there",
                "--max-tokens", "8", "--temperature", "0", "--timeout", "60s");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).contains("finish_reason=").contains("completion_tokens=8");
    }

    @Test
    void generateExitsWithOneWhenThePromptIsRejected() {
        Run run = cli("generate", "--bootstrap", bootstrap, "--id", "cli-bad", "--prompt", "x",
                "--temperature", "9", "--timeout", "60s");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("value_out_of_range").contains("temperature");
    }

    @Test
    void produceThenConsumeByIdStopsAtTheAnswer() {
        Run produced = cli("produce", "--bootstrap", bootstrap, "--id", "cli-pc", "--prompt", "Hi", "--max-tokens", "3");
        assertThat(produced.code()).as(produced.err()).isZero();
        Run consumed = cli("consume", "--bootstrap", bootstrap, "--id", "cli-pc", "--from-beginning", "--pretty");
        assertThat(consumed.code()).isZero();
        assertThat(consumed.out()).contains("completions").contains("cli-pc");
    }

    @Test
    void theAnswersCarryTheTraceOfThePromptAndConsumeShowsIt() {
        Run generated = cli("generate", "--bootstrap", bootstrap, "--id", "cli-trace", "--prompt", "Trace me",
                "--max-tokens", "3", "--timeout", "60s");
        assertThat(generated.code()).as(generated.err()).isZero();
        var traceId = java.util.regex.Pattern.compile("trace id ([0-9a-f]{32})").matcher(generated.err());
        assertThat(traceId.find()).as(generated.err()).isTrue();

        Run consumed = cli("consume", "--bootstrap", bootstrap, "--id", "cli-trace", "--from-beginning", "--pretty");
        assertThat(consumed.out().lines().filter(l -> l.startsWith("completions")))
                .singleElement().asString().endsWith(" trace=" + traceId.group(1));
    }

    @Test
    void unknownCommandIsAUsageError() {
        Run run = cli("frobnicate");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("unknown command");
    }
}
