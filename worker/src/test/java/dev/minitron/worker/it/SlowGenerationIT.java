package dev.minitron.worker.it;

import dev.minitron.worker.testing.WorkerProcess;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.WeightsFormat;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
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
 * Generation far slower than {@code max.poll.interval.ms} never costs the worker its partitions: it
 * holds one request at a time ({@code max-in-flight} 1), so its partitions stay paused while each long
 * generation runs, and it keeps polling. A worker that stopped polling would be removed from the group
 * after 2 s and its prompts redelivered with a higher attempt.
 */
@ExtendWith(KafkaBrokerExtension.class)
class SlowGenerationIT {

    private static final int PARTITIONS = 2;
    /**
     * Short, so that a poll loop blocked by a generation would be noticed; not shorter, because the
     * poll thread also commits (exactly-once: the first transaction, cold, took 1.9 s on a 2-core
     * machine at load 14).
     */
    private static final int MAX_POLL_INTERVAL_MS = 2000;
    /** Wider and deeper than the tiny preset, so one generation on one thread outlasts the poll interval. */
    private static final ModelConfig SLOW = new ModelConfig("nemotron", 512, 2048, 8, 8, 2, 64, 1024, 512,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16");

    @Test
    void pausedPartitionsKeepPollingThroughGenerationsLongerThanThePollInterval(DevBroker broker, @TempDir Path dir)
            throws Exception {
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, SLOW, 17, WeightsFormat.SAFETENSORS);
        String bootstrap = broker.bootstrapServers();
        TopicSet topics = TopicSet.create(bootstrap, "slow", PARTITIONS);
        Map<String, String> settings = Fleet.with(Fleet.settings(topics),
                "minitron.consumer.max-in-flight", "1",
                "minitron.engine.threads", "1",
                "kafka.max.poll.interval.ms", Integer.toString(MAX_POLL_INTERVAL_MS));
        List<String> ids = new ArrayList<>();
        try (AnswerChecker checker = topics.checker(bootstrap);
             WorkerProcess worker = WorkerProcess.start("slow", bootstrap, model, Fleet.logDir("SlowGenerationIT"), settings)) {
            worker.awaitReady(Duration.ofSeconds(120));
            try (var producer = Fleet.producer(bootstrap)) {
                for (int i = 0; i < 6; i++) {
                    String id = "slow-" + i;
                    ids.add(id);
                    producer.send(new ProducerRecord<>(topics.prompts(), i % PARTITIONS, id,
                            Fleet.greedyPrompt(id, new Greedy("Slow " + i, 480))));
                }
            }
            long start = System.nanoTime();
            checker.awaitAllAnswered(Duration.ofSeconds(180));
            double seconds = (System.nanoTime() - start) / 1e9;
            checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(30));
            checker.catchUp().verify().checkCommittedOffsets(topics.group());

            assertThat(seconds).as("all prompts took many poll intervals").isGreaterThan(3 * MAX_POLL_INTERVAL_MS / 1000.0);
            for (String id : ids) {
                JsonNode c = checker.finalCompletions().get(id);
                assertThat(c.get("attempt").asInt()).as(id + ": never redelivered").isEqualTo(1);
                assertThat(c.get("usage").get("completion_tokens").asInt()).as(id).isEqualTo(480);
                assertThat(c.get("timing").get("duration_ms").asLong())
                        .as(id + ": one generation outlasted the poll interval, so a blocked poll loop would have been noticed")
                        .isGreaterThan(MAX_POLL_INTERVAL_MS);
            }
            String log = worker.logText();
            assertThat(log).as("the worker kept its partitions").doesNotContain("revoked [slow").doesNotContain("lost [slow");
            assertThat(log).as("the Kafka client never saw the poll interval expire").doesNotContainIgnoringCase("poll timeout has expired");
        }
    }
}
