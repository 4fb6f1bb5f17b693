package dev.minitron.worker.e2e;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.quarkus.test.junit.QuarkusTestProfile;
import jakarta.enterprise.inject.Alternative;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Set;

/**
 * A worker whose spans go to the SDK's in-memory exporter (besides whatever is configured), with
 * every engine step traced.
 */
public class InMemoryTracing implements QuarkusTestProfile {

    /** Selected only by this profile: other tests run without an exporter. */
    @Alternative
    @Singleton
    public static class Exporter {
        @Produces
        @Singleton
        InMemorySpanExporter spans() {
            return InMemorySpanExporter.create();
        }
    }

    @Override
    public Set<Class<?>> getEnabledAlternatives() {
        return Set.of(Exporter.class);
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("minitron.tracing.step-sample-every", "1");
    }

    /** The same, with prompt and completion text on request spans. */
    public static class WithContent extends InMemoryTracing {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("minitron.tracing.step-sample-every", "1", "minitron.tracing.capture-content", "true");
        }
    }
}
