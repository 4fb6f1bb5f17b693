package dev.minitron.worker.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import org.junit.jupiter.api.Test;

/** How the worker reads its exporter settings. */
class TelemetryTest {

    @Test
    void aCollectorsBaseUrlGetsTheOtlpTracesPathAndAFullUrlIsKept() {
        assertThat(Telemetry.tracesUrl("http://collector:4318")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(Telemetry.tracesUrl("http://collector:4318/")).isEqualTo("http://collector:4318/v1/traces");
        assertThat(Telemetry.tracesUrl("https://otlp.example.com/otlp/v1/traces"))
                .isEqualTo("https://otlp.example.com/otlp/v1/traces");
    }

    @Test
    void resourceAttributesFromTheEnvironmentJoinTheWorkersOwn() {
        var resource = Telemetry.resource("w-1", "k8s.namespace.name=gpu, service.namespace=fleet");
        assertThat(resource.getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("minitron-worker");
        assertThat(resource.getAttribute(AttributeKey.stringKey("service.instance.id"))).isEqualTo("w-1");
        assertThat(resource.getAttribute(AttributeKey.stringKey("k8s.namespace.name"))).isEqualTo("gpu");
        assertThat(resource.getAttribute(AttributeKey.stringKey("service.namespace"))).isEqualTo("fleet");
    }

    @Test
    void otlpHeadersAreKeyValuePairs() {
        assertThat(Telemetry.parseHeaders("authorization=Bearer abc=, x-team = ml ,broken"))
                .containsExactly(new String[] {"authorization", "Bearer abc="}, new String[] {"x-team", "ml"});
    }

    @Test
    void otlpHeaderValuesArePercentDecodedAsTheSpecSays() {
        assertThat(Telemetry.parseHeaders("Authorization=Bearer%20t0k+en%3D,x=100%"))
                .containsExactly(new String[] {"Authorization", "Bearer t0k+en="}, new String[] {"x", "100%"});
    }
}
