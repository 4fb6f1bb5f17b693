package dev.minitron.worker.testing;

import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.dev.TopicSetup;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real Kafka broker for {@code @QuarkusTest}s: {@code @QuarkusTestResource(KafkaBrokerResource.class)}
 * (or {@code @WithTestResource}). Sets {@code kafka.bootstrap.servers}, and injects the
 * {@link DevBroker} into test fields of that type. Init arg {@code partitions} (default 4).
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    private int partitions = TopicSetup.DEFAULT_PARTITIONS;
    private TemporaryKafka kafka;

    @Override
    public void init(Map<String, String> initArgs) {
        partitions = Integer.parseInt(initArgs.getOrDefault("partitions", Integer.toString(partitions)));
    }

    @Override
    public Map<String, String> start() {
        kafka = TemporaryKafka.start(partitions);
        return Map.of("kafka.bootstrap.servers", kafka.bootstrapServers());
    }

    @Override
    public void inject(TestInjector testInjector) {
        testInjector.injectIntoFields(kafka.broker(), new TestInjector.MatchesType(DevBroker.class));
    }

    @Override
    public void stop() {
        if (kafka != null) {
            kafka.close();
        }
    }
}
