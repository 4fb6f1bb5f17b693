package dev.minitron.worker.testing;

import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.dev.TopicSetup;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real Kafka broker for plain JUnit tests: {@code @ExtendWith(KafkaBrokerExtension.class)}, then
 * take a {@link DevBroker} parameter in a test, {@code @BeforeAll} or constructor. One broker serves
 * the whole test run (it starts in ~4 s) and stops when the run ends, so tests must not depend on
 * each other's records: use fresh ids, groups or topics.
 */
public final class KafkaBrokerExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == DevBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .computeIfAbsent(TemporaryKafka.class, key -> TemporaryKafka.start(TopicSetup.DEFAULT_PARTITIONS),
                        TemporaryKafka.class)
                .broker();
    }
}
