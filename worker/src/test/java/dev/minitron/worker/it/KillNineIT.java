package dev.minitron.worker.it;

import dev.minitron.worker.testing.WorkerProcess;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.ReferenceTexts;
import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import dev.minitron.worker.testing.TopicSet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * No prompt is lost when a worker is killed with SIGKILL mid-generation: a second worker answers
 * everything the first left unanswered, with the same (greedy) text; the independent
 * {@link AnswerChecker} finds exactly one visible terminal answer per prompt, token streams that
 * tell the attempts apart, and committed offsets that never pass an unanswered prompt.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KillNineIT {

    private static final int PROMPTS = 40;

    @Test
    void everyPromptIsAnsweredAfterAWorkerIsKilledMidGeneration(DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 99);
        TopicSet topics = TopicSet.create(bootstrap, "kill9", 4);
        Path logs = Fleet.logDir("KillNineIT");
        Map<String, String> settings = Fleet.settings(topics);

        List<Greedy> requests = new ArrayList<>();
        try (AnswerChecker checker = topics.checker(bootstrap).expectRedelivery(true)) {
            WorkerProcess first = WorkerProcess.start("first", bootstrap, model, logs, settings)
                    .awaitReady(Duration.ofSeconds(90));
            try (var producer = Fleet.producer(bootstrap)) {
                for (int i = 1; i <= PROMPTS; i++) {
                    Greedy g = new Greedy("Kill test " + i, 8 * i);
                    requests.add(g);
                    String id = "kill-" + i;
                    producer.send(new ProducerRecord<>(topics.prompts(), id, Fleet.greedyPrompt(id, g)));
                }
            }
            checker.awaitUntil(c -> c.finalCompletions().size() >= 5, Duration.ofSeconds(120));
            first.killHard();
            checker.catchUp();
            int answeredByFirst = checker.finalCompletions().size();
            assertThat(answeredByFirst).as("killed mid-generation").isLessThan(PROMPTS);
            checker.checkCommittedOffsets(topics.group());

            try (WorkerProcess second = WorkerProcess.start("second", bootstrap, model, logs, settings)
                    .awaitReady(Duration.ofSeconds(90))) {
                checker.awaitAllAnswered(Duration.ofSeconds(180));
                checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(60));
            }
            checker.catchUp().verify().checkCommittedOffsets(topics.group());

            Map<Greedy, String> reference = ReferenceTexts.compute(model, requests);
            Map<String, JsonNode> answers = checker.finalCompletions();
            assertThat(answers).hasSize(PROMPTS);
            for (int i = 1; i <= PROMPTS; i++) {
                String id = "kill-" + i;
                for (JsonNode c : checker.completions(id)) {
                    assertThat(c.get("finish_reason").asText()).isEqualTo("length");
                    assertThat(c.get("usage").get("completion_tokens").asInt()).isEqualTo(8 * i);
                    assertThat(c.get("text").asText()).as("%s attempt %s: the greedy text", id, c.get("attempt"))
                            .isEqualTo(reference.get(requests.get(i - 1)));
                }
            }
            assertThat(answers.values()).extracting(c -> c.get("worker").asText()).contains("second");
            // The prompts the first worker had started but not answered come back as a new attempt.
            List<String> interrupted = answers.keySet().stream()
                    .filter(id -> answers.get(id).get("worker").asText().equals("second") && !checker.tokens(id).isEmpty()
                            && checker.tokens(id).getFirst().get("attempt").asInt() < answers.get(id).get("attempt").asInt())
                    .toList();
            for (String id : answers.keySet()) {
                if (answers.get(id).get("worker").asText().equals("second")) {
                    long attemptsWithTokens = checker.tokens(id).stream().map(t -> t.get("attempt").asInt()).distinct().count();
                    assertThat(answers.get(id).get("attempt").asInt()).as(id + ": one attempt more than the token streams before it")
                            .isGreaterThanOrEqualTo((int) attemptsWithTokens);
                }
            }
            assertThat(interrupted).as("prompts in generation when the first worker died").isNotEmpty();
        }
    }
}
