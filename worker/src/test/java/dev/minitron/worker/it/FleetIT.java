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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several real worker processes in one consumer group under a steady prompt load: one starts, two
 * more join (cooperative rebalancing: the first gives up only some partitions), the first leaves on
 * SIGTERM, a second is killed with SIGKILL, and the last one serves the orphaned partitions. The
 * independent {@link AnswerChecker} then finds exactly one visible terminal answer per prompt,
 * attempts told apart, committed offsets never past an unanswered prompt; every completion carries
 * the greedy text the engine computes directly.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FleetIT {

    private static final int PARTITIONS = 6;
    private static final Duration READY = Duration.ofSeconds(120);
    private static final Pattern REVOKED = Pattern.compile("revoked \\[([^]]*)]");

    @Test
    void workersJoiningAndLeavingUnderLoadLoseNothing(DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 7);
        TopicSet topics = TopicSet.create(bootstrap, "fleet", PARTITIONS);
        Path logs = Fleet.logDir("FleetIT");
        Map<String, String> settings = Fleet.with(Fleet.settings(topics), "minitron.worker.shutdown-grace", "5s");

        Map<String, Greedy> sent = new ConcurrentHashMap<>();
        Set<String> sentAfterKill = ConcurrentHashMap.newKeySet();
        AtomicBoolean killed = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        List<WorkerProcess> workers = new java.util.ArrayList<>();
        try (AnswerChecker checker = topics.checker(bootstrap).expectRedelivery(true)) {
            WorkerProcess a = WorkerProcess.start("a", bootstrap, model, logs, settings);
            workers.add(a);
            a.awaitReady(READY);
            Thread load = Thread.ofPlatform().name("fleet-load").start(() -> {
                try (var producer = Fleet.producer(bootstrap)) {
                    for (int i = 0; !stop.get(); i++) {
                        Greedy g = new Greedy("Fleet prompt " + (i % 40), 48 + 32 * (i % 3));
                        String id = "fleet-" + i;
                        sent.put(id, g);
                        if (killed.get()) {
                            sentAfterKill.add(id);
                        }
                        producer.send(new ProducerRecord<>(topics.prompts(), id, Fleet.greedyPrompt(id, g)));
                        Thread.sleep(200);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                checker.awaitUntil(x -> x.finalCompletions().size() >= 10, Duration.ofSeconds(60));
                // Two more join under load.
                WorkerProcess b = WorkerProcess.start("b", bootstrap, model, logs, settings);
                WorkerProcess c = WorkerProcess.start("c", bootstrap, model, logs, settings);
                workers.add(b);
                workers.add(c);
                b.awaitReady(READY);
                c.awaitReady(READY);
                checker.awaitUntil(x -> answeredBy(x, "b") > 0 && answeredBy(x, "c") > 0, Duration.ofSeconds(60));
                checker.checkCommittedOffsets(topics.group());

                // The first leaves on SIGTERM: it drains, commits and leaves the group.
                a.terminate();
                a.awaitExit(Duration.ofSeconds(40));
                int beforeKill = checker.catchUp().finalCompletions().size();
                checker.awaitUntil(x -> x.finalCompletions().size() >= beforeKill + 10, Duration.ofSeconds(60));

                // Another dies mid-generation; the last one takes its partitions over.
                b.killHard();
                killed.set(true);
                checker.checkCommittedOffsets(topics.group());
                Thread.sleep(5_000);
                checker.checkCommittedOffsets(topics.group());
            } finally {
                stop.set(true);
                load.join();
            }
            assertThat(sentAfterKill).isNotEmpty();

            checker.awaitAllAnswered(Duration.ofSeconds(180));
            checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(60));
            checker.catchUp().verify().checkCommittedOffsets(topics.group());

            Map<String, JsonNode> answers = checker.finalCompletions();
            assertThat(answers.keySet()).containsExactlyInAnyOrderElementsOf(sent.keySet());
            Map<Greedy, String> reference = ReferenceTexts.compute(model, sent.values());
            for (var e : sent.entrySet()) {
                for (JsonNode completion : checker.completions(e.getKey())) {
                    assertThat(completion.get("finish_reason").asText()).isEqualTo("length");
                    assertThat(completion.get("text").asText()).as("%s attempt %s by %s", e.getKey(),
                                    completion.get("attempt"), completion.get("worker"))
                            .isEqualTo(reference.get(e.getValue()));
                }
            }
            for (String id : sentAfterKill) {
                assertThat(answers.get(id).get("worker").asText()).as(id + ": only c is left").isEqualTo("c");
            }
            assertThat(answers.values()).extracting(x -> x.get("worker").asText()).contains("a", "b", "c");

            // Cooperative-sticky: when b and c joined, a gave up only some of its partitions.
            Matcher firstRevoke = REVOKED.matcher(workers.getFirst().logText());
            assertThat(firstRevoke.find()).as("a logged a revocation").isTrue();
            assertThat(firstRevoke.group(1).split(",")).as("a's first revocation").hasSizeBetween(1, PARTITIONS - 1);
        } finally {
            for (WorkerProcess w : workers) {
                w.killHard();
            }
        }
    }

    private static long answeredBy(AnswerChecker checker, String worker) {
        return checker.finalCompletions().values().stream().filter(c -> c.get("worker").asText().equals(worker)).count();
    }
}
