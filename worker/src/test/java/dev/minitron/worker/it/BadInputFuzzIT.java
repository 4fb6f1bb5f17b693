package dev.minitron.worker.it;

import dev.minitron.worker.testing.WorkerProcess;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.it.FuzzRecords.FuzzRecord;
import dev.minitron.worker.it.FuzzRecords.Kind;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.AnswerChecker.Source;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.ReferenceTexts;
import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import dev.minitron.worker.testing.TopicSet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input never stops a worker: over 10,000 generated bad records of every kind (malformed JSON,
 * wrong types, unknown and out-of-range fields, empty and tombstone values, non-UTF-8 bytes, records
 * over the size limit, null keys, keys that disagree with the id, prompts over the model's context,
 * token ids outside the vocabulary) mixed with good prompts, through one real worker process. Every
 * good prompt gets the greedy text the engine computes directly; every bad record gets exactly one
 * answer of the kind the contract names (an error event naming its partition and offset, or a
 * completion with an error code); the group commits to the end and the worker is still serving.
 */
@ExtendWith(KafkaBrokerExtension.class)
class BadInputFuzzIT {

    private static final int BAD = 10_200;
    private static final int GOOD = 600;
    private static final int MAX_RECORD_BYTES = 4096;
    private static final long SEED = Long.getLong("fuzz.seed", 20261127L);

    @Test
    void everyBadRecordGetsOneErrorAndEveryGoodOneItsAnswer(DevBroker broker, @TempDir Path dir) throws Exception {
        String bootstrap = broker.bootstrapServers();
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 5);
        TopicSet topics = TopicSet.create(bootstrap, "fuzz", 4);
        Path logs = Fleet.logDir("BadInputFuzzIT");
        Map<String, String> settings = Fleet.with(topics.workerSettings(),
                "minitron.consumer.max-record-bytes", Integer.toString(MAX_RECORD_BYTES),
                "minitron.engine.max-model-len", "64");
        List<FuzzRecord> records = new FuzzRecords(SEED, MAX_RECORD_BYTES).generate(BAD, GOOD);

        Map<Source, FuzzRecord> bySource = new HashMap<>();
        try (AnswerChecker checker = topics.checker(bootstrap);
             WorkerProcess worker = WorkerProcess.start("fuzz", bootstrap, model, logs, settings)) {
            worker.awaitReady(Duration.ofSeconds(120));
            try (var producer = producer(bootstrap)) {
                List<Future<RecordMetadata>> sends = new ArrayList<>();
                for (FuzzRecord r : records) {
                    sends.add(producer.send(new ProducerRecord<>(topics.prompts(), r.key(), r.value())));
                }
                producer.flush();
                for (int i = 0; i < records.size(); i++) {
                    RecordMetadata m = sends.get(i).get();
                    bySource.put(new Source(m.partition(), m.offset()), records.get(i));
                }
            }
            checker.awaitAllAnswered(Duration.ofSeconds(300));
            checker.awaitCommittedToEnd(topics.group(), Duration.ofSeconds(60));
            checker.catchUp().verify().checkCommittedOffsets(topics.group());
            assertThat(worker.isAlive()).isTrue();
            assertThat(checker.prompts()).hasSize(records.size());

            Map<Greedy, String> reference = ReferenceTexts.compute(model,
                    records.stream().filter(r -> r.greedy() != null).map(FuzzRecord::greedy).toList());
            Map<Kind, Integer> seen = new EnumMap<>(Kind.class);
            Map<String, JsonNode> completions = checker.finalCompletions();
            for (var e : bySource.entrySet()) {
                FuzzRecord r = e.getValue();
                String what = r.kind() + " " + r.id() + " at " + e.getKey();
                List<JsonNode> errors = checker.errors(e.getKey());
                JsonNode completion = r.kind() == Kind.DUPLICATE_ID ? null : completions.get(r.id());
                seen.merge(r.kind(), 1, Integer::sum);
                switch (r.kind().expect) {
                    case COMPLETION -> {
                        assertThat(errors).as(what).isEmpty();
                        assertThat(completion).as(what).isNotNull();
                        assertThat(completion.get("finish_reason").asText()).as(what).isEqualTo("length");
                        assertThat(completion.get("usage").get("completion_tokens").asInt()).as(what)
                                .isEqualTo(r.greedy().maxTokens());
                        assertThat(completion.get("text").asText()).as(what).isEqualTo(reference.get(r.greedy()));
                        assertThat(checker.tokens(r.id()).isEmpty()).as(what + " streamed").isEqualTo(!r.stream());
                    }
                    case COMPLETION_ERROR -> {
                        assertThat(errors).as(what).isEmpty();
                        assertThat(completion).as(what).isNotNull();
                        assertThat(completion.get("finish_reason").asText()).as(what).isEqualTo("error");
                        assertThat(completion.get("error").get("code").asText()).as(what).isIn(r.kind().codes);
                    }
                    case ERROR_EVENT -> {
                        assertThat(errors).as(what).hasSize(1);
                        assertThat(completion).as(what).isNull();
                        JsonNode error = errors.getFirst();
                        assertThat(error.get("code").asText()).as(what + ": " + error.get("message")).isIn(r.kind().codes);
                        assertThat(error.get("source").get("partition").asInt()).isEqualTo(e.getKey().partition());
                        assertThat(error.get("source").get("offset").asLong()).isEqualTo(e.getKey().offset());
                    }
                    case ANY_ONE_ANSWER -> assertThat(errors.size() + (completion == null ? 0 : 1))
                            .as(what + ": " + errors + " " + completion).isEqualTo(1);
                }
            }
            assertThat(seen.keySet()).containsExactlyInAnyOrder(Kind.values());
            assertThat(records.stream().filter(r -> r.kind() != Kind.GOOD).count()).isGreaterThanOrEqualTo(10_000);
        }
    }

    private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }
}
