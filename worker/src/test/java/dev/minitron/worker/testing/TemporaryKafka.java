package dev.minitron.worker.testing;

import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.dev.TopicSetup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A {@link DevBroker} on free ports with its data in a new temporary directory and the contract's
 * topics created; {@link #close()} stops it and deletes the directory.
 */
public final class TemporaryKafka implements AutoCloseable {

    static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final DevBroker broker;
    private final Path dataDir;

    private TemporaryKafka(DevBroker broker, Path dataDir) {
        this.broker = broker;
        this.dataDir = dataDir;
    }

    public static TemporaryKafka start(int partitions) {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("minitron-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var broker = DevBroker.start(DevBroker.Options.inDirectory(dataDir));
        try {
            broker.awaitReady(READY_TIMEOUT);
            TopicSetup.ensureTopics(broker.bootstrapServers(), partitions);
            return new TemporaryKafka(broker, dataDir);
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    public DevBroker broker() {
        return broker;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    @Override
    public void close() {
        broker.close();
        try (Stream<Path> paths = Files.walk(dataDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
