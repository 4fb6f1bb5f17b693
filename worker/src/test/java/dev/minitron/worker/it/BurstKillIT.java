package dev.minitron.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import dev.minitron.worker.testing.TopicSet;
import dev.minitron.worker.testing.WorkerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The case that showed duplicate answers before transactions: a burst of a few hundred short prompts
 * over two workers, a third joining mid-burst (a rebalance), then kill -9 of a worker that owns
 * prompts mid-burst. A {@code read_committed} reader ({@link AnswerChecker}) then counts the visible
 * answers per prompt record. Exactly-once: exactly one each, always. At-least-once: every prompt
 * answered, and the duplicate fraction is printed ({@code [burst-kill]}) for docs/benchmarks/kafka.md.
 */
@ExtendWith(KafkaBrokerExtension.class)
class BurstKillIT {

    private static final int PROMPTS = 400;
    private static final Duration READY = Duration.ofSeconds(120);

    @ParameterizedTest
    @ValueSource(strings = {"exactly-once", "at-least-once"})
    void aBurstMeetsAKillNine(String guarantee, DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 11);
        String prefix = "burst-" + guarantee.charAt(0);
        TopicSet topics = TopicSet.create(bootstrap, prefix, 4);
        Path logs = Fleet.logDir("BurstKillIT-" + guarantee);
        Map<String, String> settings = Fleet.with(Fleet.settings(topics), "minitron.delivery.guarantee", guarantee);
        boolean exactlyOnce = guarantee.equals("exactly-once");

        try (AnswerChecker checker = topics.committedChecker(bootstrap).expectRedelivery(true)
                .expectExactlyOnce(exactlyOnce);
             WorkerProcess survivor = WorkerProcess.start("survivor", bootstrap, model, logs, settings)) {
            WorkerProcess victim = WorkerProcess.start("victim", bootstrap, model, logs, settings);
            survivor.awaitReady(READY);
            victim.awaitReady(READY);
            // Ready is not yet owning partitions (a cooperative rebalance hands them over in a second round),
            // and warm workers answer a quarter of the burst in well under a second: without this the victim
            // could be killed before it had started anything, and the test would prove nothing.
            awaitAssigned(topics.prompts(), survivor, victim);
            WorkerProcess joiner = null;
            try (var producer = Fleet.producer(bootstrap)) {
                for (int i = 0; i < PROMPTS; i++) {
                    String id = prefix + "-" + i;
                    producer.send(new ProducerRecord<>(topics.prompts(), id,
                            Fleet.greedyPrompt(id, new Greedy("Burst " + (i % 17), 2 + i % 6))));
                    if (i == PROMPTS / 3) {
                        producer.flush();
                        joiner = WorkerProcess.start("joiner", bootstrap, model, logs, settings);   // a rebalance mid-burst
                    }
                }
            }
            checker.awaitUntil(c -> c.finalCompletions().size() >= PROMPTS / 4 && c.finalCompletions().values().stream()
                    .anyMatch(a -> a.get("worker").asText().equals("victim")), Duration.ofSeconds(180));
            long killedAt = System.currentTimeMillis();
            victim.killHard();
            checker.awaitAllAnswered(Duration.ofSeconds(180));
            checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(60));
            checker.catchUp().verify().checkCommittedOffsets(topics.group());

            int duplicates = checker.duplicateCompletions().size();
            long victimAnswers = checker.finalCompletions().values().stream()
                    .filter(c -> c.get("worker").asText().equals("victim")).count();
            long lastVisible = checker.finalCompletions().keySet().stream()
                    .flatMap(id -> checker.completionEvents(id).stream()).mapToLong(AnswerChecker.Event::timestamp)
                    .max().orElse(killedAt);
            System.out.printf("[burst-kill] %s: %d prompts, %d answered by the killed worker before the kill, "
                            + "%d with more than one visible completion (%.1f %%), last answer %d ms after the kill%n",
                    guarantee, PROMPTS, victimAnswers, duplicates, 100.0 * duplicates / PROMPTS, lastVisible - killedAt);
            assertThat(checker.finalCompletions()).hasSize(PROMPTS);
            assertThat(checker.finalCompletions().values()).as("prompts the killed worker had started, answered again")
                    .anyMatch(c -> c.get("attempt").asInt() > 1);
            if (exactlyOnce) {
                assertThat(checker.duplicateCompletions()).as("ids answered twice under exactly-once").isEmpty();
                assertThat(checker.lateWrites()).isEmpty();
            }
            if (joiner != null) {
                joiner.close();
            }
        }
    }

    /** Waits until each worker has logged an assignment of prompts partitions. */
    private static void awaitAssigned(String promptsTopic, WorkerProcess... workers) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (WorkerProcess w : workers) {
            while (!w.logText().contains("assigned [" + promptsTopic)) {
                assertThat(System.nanoTime()).as(w.name() + " got no partitions").isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }
}
