package dev.minitron.worker.e2e;

import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.TopicSetup;
import dev.minitron.worker.testing.TemporaryKafka;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a worker needs around it, for real: a KRaft broker in its own JVM with the topics created,
 * and a tiny random-weight Nemotron checkpoint written to disk in the Hugging Face layout.
 */
public class WorkerTestResources implements QuarkusTestResourceLifecycleManager {

    private TemporaryKafka kafka;

    @Override
    public Map<String, String> start() {
        try {
            Path model = Files.createTempDirectory("minitron-e2e").resolve("tiny-model");
            TinyCheckpoint.write(model, TinyPreset.TINY, 1234);
            kafka = TemporaryKafka.start(TopicSetup.DEFAULT_PARTITIONS);
            return Map.of(
                    "kafka.bootstrap.servers", kafka.bootstrapServers(),
                    "minitron.model.path", model.toString(),
                    "minitron.worker.id", "e2e-worker",
                    "minitron.worker.shutdown-grace", "5s",
                    "minitron.consumer.max-in-flight", "4");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
