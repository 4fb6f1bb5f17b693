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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged worker with the synthetic warm-up as shipped (on): it is not ready before the warm-up
 * has run (its log line is written before the first 200 of {@code /q/health/ready}, which then says
 * {@code warm_up: done}), the warm-up wrote nothing to any of the five topics and committed no
 * offset, and the first real prompt is answered as usual (attempt 1).
 */
@ExtendWith(KafkaBrokerExtension.class)
class WarmUpIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @Test
    void theWorkerIsReadyOnlyAfterItsWarmUpWhichWritesNothingToKafka(DevBroker broker, @TempDir Path dir) throws Exception {
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 5);
        String bootstrap = broker.bootstrapServers();
        TopicSet topics = TopicSet.create(bootstrap, "warm", 2);
        try (WorkerProcess worker = WorkerProcess.start("warm", bootstrap, model, Fleet.logDir("WarmUpIT"),
                Fleet.settings(topics))) {
            String readyBody = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (readyBody == null && System.nanoTime() < deadline && worker.isAlive()) {
                String logBefore = worker.logText();
                HttpResponse<String> r = ready(worker);
                if (r != null && r.statusCode() == 200) {
                    // Read before the probe: the warm-up had logged its line before readiness said UP.
                    assertThat(logBefore).as("the warm-up's log line precedes the first ready answer")
                            .containsPattern("warm-up: \\d+ synthetic requests");
                    readyBody = r.body();
                } else {
                    Thread.sleep(50);
                }
            }
            assertThat(readyBody).as("ready within 120 s; log:\n" + worker.logText()).isNotNull();
            assertThat(readyBody).containsPattern("\"warm_up\":\\s*\"done\"");
            assertThat(worker.logText()).doesNotContain("warm-up: stopped early").doesNotContain("cut short");

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
                for (String topic : List.of(topics.prompts(), topics.tokens(), topics.completions(), topics.errors(),
                        topics.cancels())) {
                    for (int p = 0; p < 2; p++) {
                        ends.put(new TopicPartition(topic, p), OffsetSpec.latest());
                    }
                }
                var offsets = admin.listOffsets(ends).all().get().entrySet().stream()
                        .collect(Collectors.toMap(e -> e.getKey().toString(), e -> e.getValue().offset()));
                assertThat(offsets).as("end offsets after the warm-up").hasSize(10).allSatisfy((tp, end) ->
                        assertThat(end).as(tp).isZero());
                assertThat(admin.listConsumerGroupOffsets(topics.group()).partitionsToOffsetAndMetadata().get())
                        .as("offsets committed by the warm-up").allSatisfy((tp, committed) ->
                                assertThat(committed == null ? 0 : committed.offset()).as(tp.toString()).isZero());
            }

            try (AnswerChecker checker = topics.checker(bootstrap); var producer = Fleet.producer(bootstrap)) {
                producer.send(new ProducerRecord<>(topics.prompts(), "real-1",
                        Fleet.greedyPrompt("real-1", new Greedy("After the warm-up", 8)))).get();
                checker.awaitAllAnswered(Duration.ofSeconds(60));
                checker.catchUp().verify();
                assertThat(checker.finalCompletions()).containsOnlyKeys("real-1");
                assertThat(checker.finalCompletions().get("real-1").get("attempt").asInt()).isEqualTo(1);
            }
        }
    }

    private static HttpResponse<String> ready(WorkerProcess worker) throws InterruptedException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + worker.httpPort() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException notUp) {
            return null;
        }
    }
}
