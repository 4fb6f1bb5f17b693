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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM on a worker with requests in flight: it stops fetching, lets them finish within
 * {@code shutdown-grace}, aborts the rest (which are redelivered), commits and leaves the group at
 * once, so another member takes its partitions without waiting for the session timeout.
 */
@ExtendWith(KafkaBrokerExtension.class)
class GracefulShutdownIT {

    private static final int PARTITIONS = 4;
    private static final Duration READY = Duration.ofSeconds(120);
    /** Long enough that a worker which did not leave the group would hold its partitions visibly. */
    private static final String SESSION_TIMEOUT_MS = "30000";

    private static Path model;

    @BeforeAll
    static void checkpoint(@TempDir Path dir) throws Exception {
        model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 11);
    }

    @Test
    void inFlightRequestsFinishWithinTheGraceAndTheGroupIsLeftAtOnce(DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        TopicSet topics = TopicSet.create(bootstrap, "graceful", PARTITIONS);
        Path logs = Fleet.logDir("GracefulShutdownIT-graceful");
        Map<String, String> settings = Fleet.with(topics.workerSettings(), "minitron.worker.shutdown-grace", "90s",
                "kafka.session.timeout.ms", SESSION_TIMEOUT_MS, "kafka.heartbeat.interval.ms", "1000");
        Map<String, Greedy> sent = new HashMap<>();
        try (AnswerChecker checker = topics.checker(bootstrap);
             WorkerProcess a = WorkerProcess.start("a", bootstrap, model, logs, settings);
             WorkerProcess b = WorkerProcess.start("b", bootstrap, model, logs, settings)) {
            a.awaitReady(READY);
            b.awaitReady(READY);
            awaitAssignment(a, b);
            try (var producer = Fleet.producer(bootstrap)) {
                for (int i = 0; i < 12; i++) {
                    Greedy g = new Greedy("Graceful " + i, 480);
                    String id = "graceful-" + i;
                    sent.put(id, g);
                    producer.send(new ProducerRecord<>(topics.prompts(), i % PARTITIONS, id, Fleet.greedyPrompt(id, g)));
                }
            }
            checker.awaitUntil(c -> sent.keySet().stream().allMatch(id -> !c.tokens(id).isEmpty()), Duration.ofSeconds(60));
            Set<String> answeredBeforeTerm = Set.copyOf(checker.catchUp().finalCompletions().keySet());
            a.terminate();
            a.awaitExit(Duration.ofSeconds(60));
            long exited = System.nanoTime();

            // Everything a had in flight was finished by a, as attempt 1: nothing redelivered.
            checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(30));
            List<String> finishedByAAfterTerm = checker.catchUp().finalCompletions().entrySet().stream()
                    .filter(e -> e.getValue().get("worker").asText().equals("a") && !answeredBeforeTerm.contains(e.getKey()))
                    .map(Map.Entry::getKey).toList();
            assertThat(finishedByAAfterTerm).as("requests a was generating when SIGTERM came; answered before: %s; now: %s",
                    answeredBeforeTerm, summary(checker)).isNotEmpty();

            // a left the group: b answers new prompts on every partition well before a session timeout.
            try (var producer = Fleet.producer(bootstrap)) {
                for (int p = 0; p < PARTITIONS; p++) {
                    Greedy g = new Greedy("After a left " + p, 4);
                    String id = "after-" + p;
                    sent.put(id, g);
                    producer.send(new ProducerRecord<>(topics.prompts(), p, id, Fleet.greedyPrompt(id, g)));
                }
            }
            checker.awaitAllAnswered(Duration.ofSeconds(60));
            double seconds = (System.nanoTime() - exited) / 1e9;
            assertThat(seconds).as("b took a's partitions over without waiting for a's session to time out")
                    .isLessThan(Integer.parseInt(SESSION_TIMEOUT_MS) / 1000.0 - 10);
            for (int p = 0; p < PARTITIONS; p++) {
                assertThat(checker.finalCompletions().get("after-" + p).get("worker").asText()).isEqualTo("b");
            }
            checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(30));
            checker.catchUp().verify().checkCommittedOffsets(topics.group());
            assertGreedyTexts(checker, sent);
        }
    }

    @Test
    void whatTheGraceDoesNotCoverIsAbortedAndRedelivered(DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        TopicSet topics = TopicSet.create(bootstrap, "abort", PARTITIONS);
        Path logs = Fleet.logDir("GracefulShutdownIT-abort");
        Map<String, String> settings = Fleet.with(Fleet.settings(topics), "minitron.worker.shutdown-grace", "500ms");
        Map<String, Greedy> sent = new HashMap<>();
        try (AnswerChecker checker = topics.checker(bootstrap).expectRedelivery(true)) {
            try (WorkerProcess a = WorkerProcess.start("a", bootstrap, model, logs, settings)) {
                a.awaitReady(READY);
                try (var producer = Fleet.producer(bootstrap)) {
                    for (int i = 0; i < 8; i++) {
                        Greedy g = new Greedy("Aborted " + i, 480);
                        String id = "abort-" + i;
                        sent.put(id, g);
                        producer.send(new ProducerRecord<>(topics.prompts(), i % PARTITIONS, id, Fleet.greedyPrompt(id, g)));
                    }
                }
                checker.awaitUntil(c -> sent.keySet().stream().allMatch(id -> !c.tokens(id).isEmpty()), Duration.ofSeconds(60));
                a.terminate();
                a.awaitExit(Duration.ofSeconds(30));
            }
            checker.catchUp().checkCommittedOffsets(topics.group());
            List<String> leftOver = sent.keySet().stream().filter(id -> checker.completions(id).isEmpty()).toList();
            assertThat(leftOver).as("requests still generating when the grace ran out").isNotEmpty();

            try (WorkerProcess b = WorkerProcess.start("b", bootstrap, model, logs, settings)) {
                b.awaitReady(READY);
                checker.awaitAllAnswered(Duration.ofSeconds(120));
                checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(30));
            }
            checker.catchUp().verify().checkCommittedOffsets(topics.group());
            for (String id : leftOver) {
                JsonNode answer = checker.finalCompletions().get(id);
                assertThat(answer.get("worker").asText()).as(id).isEqualTo("b");
                assertThat(answer.get("attempt").asInt()).as(id + ": redelivered after a's attempt 1").isGreaterThan(1);
                assertThat(checker.tokens(id).getFirst().get("attempt").asInt()).isEqualTo(1);
            }
            assertGreedyTexts(checker, sent);
        }
    }

    private static Map<String, String> summary(AnswerChecker checker) {
        Map<String, String> out = new java.util.TreeMap<>();
        checker.finalCompletions().forEach((id, c) -> out.put(id, c.get("worker").asText() + "#" + c.get("attempt")));
        return out;
    }

    /** Waits until both workers own some partitions (the group has settled). */
    private static void awaitAssignment(WorkerProcess... workers) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (WorkerProcess w : workers) {
            while (!w.logText().contains("assigned [graceful")) {
                assertThat(System.nanoTime()).as(w.name() + " got no partitions").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    private static void assertGreedyTexts(AnswerChecker checker, Map<String, Greedy> sent) throws Exception {
        Map<Greedy, String> reference = ReferenceTexts.compute(model, new ArrayList<>(sent.values()));
        for (var e : sent.entrySet()) {
            for (JsonNode c : checker.completions(e.getKey())) {
                assertThat(c.get("finish_reason").asText()).as(e.getKey()).isEqualTo("length");
                assertThat(c.get("text").asText()).as(e.getKey() + " by " + c.get("worker")).isEqualTo(reference.get(e.getValue()));
            }
        }
    }
}
