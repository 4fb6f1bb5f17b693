package dev.minitron.worker.tracing;

import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.WorkerIdentity;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.Clock;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SdkTracerProviderBuilder;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/**
 * The worker's OpenTelemetry SDK, built from {@code minitron.tracing.*}. With no exporter
 * configured it is the no-op API: no span is recorded, yet a prompt's incoming context still flows
 * unchanged onto its answers. Exporters that are CDI beans (tests: an in-memory exporter) are added
 * with a synchronous processor; configured ones (OTLP, Zipkin) with a batching one.
 */
@Singleton
public class Telemetry {

    private static final Logger LOG = Logger.getLogger(Telemetry.class);
    static final String INSTRUMENTATION = "dev.minitron.worker";

    private final OpenTelemetrySdk sdk;   // null: not exporting
    private final Tracer tracer;
    private final long anchorEpochNanos;
    private final long anchorNanoTime;

    public Telemetry(WorkerConfig config, WorkerIdentity identity, @Any Instance<SpanExporter> beans) {
        WorkerConfig.Tracing t = config.tracing();
        SdkTracerProviderBuilder provider = SdkTracerProvider.builder()
                .setResource(resource(identity.id(), System.getenv("OTEL_RESOURCE_ATTRIBUTES")))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(t.sampleRatio())));
        List<String> exports = new ArrayList<>();
        t.otlpEndpoint().filter(s -> !s.isBlank()).ifPresent(endpoint -> {
            provider.addSpanProcessor(BatchSpanProcessor.builder(otlp(endpoint, t.otlpHeaders().orElse(""))).build());
            exports.add("OTLP " + tracesUrl(endpoint));
        });
        t.zipkinEndpoint().filter(s -> !s.isBlank()).ifPresent(endpoint -> {
            provider.addSpanProcessor(BatchSpanProcessor.builder(zipkin(endpoint)).build());
            exports.add("Zipkin " + endpoint);
        });
        for (SpanExporter exporter : beans) {
            provider.addSpanProcessor(SimpleSpanProcessor.create(exporter));
            exports.add(exporter.getClass().getSimpleName());
        }
        if (exports.isEmpty()) {
            this.sdk = null;
            this.tracer = OpenTelemetry.noop().getTracer(INSTRUMENTATION);
            LOG.info("tracing: no exporter configured (minitron.tracing.otlp-endpoint, minitron.tracing.zipkin-endpoint);"
                    + " trace context is passed through to answers");
        } else {
            this.sdk = OpenTelemetrySdk.builder().setTracerProvider(provider.build()).build();
            this.tracer = sdk.getTracer(INSTRUMENTATION);
            LOG.infof("tracing: exporting spans to %s (sample ratio %s)", String.join(", ", exports), t.sampleRatio());
        }
        this.anchorEpochNanos = Clock.getDefault().now();
        this.anchorNanoTime = System.nanoTime();
    }

    /** Whether spans are recorded and exported anywhere. */
    public boolean exporting() {
        return sdk != null;
    }

    public Tracer tracer() {
        return tracer;
    }

    /** A {@link System#nanoTime()} reading as epoch nanoseconds (span timestamps). */
    public long epochNanos(long nanoTime) {
        return anchorEpochNanos + (nanoTime - anchorNanoTime);
    }

    public long nowEpochNanos() {
        return epochNanos(System.nanoTime());
    }

    /** OTLP over HTTP/protobuf, sent with the JDK's HTTP client. */
    static SpanExporter otlp(String endpoint, String headers) {
        var otlp = OtlpHttpSpanExporter.builder().setEndpoint(tracesUrl(endpoint));
        parseHeaders(headers).forEach(kv -> otlp.addHeader(kv[0], kv[1]));
        return otlp.build();
    }

    /** Zipkin v2 JSON, sent with HttpURLConnection (no OkHttp). */
    static SpanExporter zipkin(String endpoint) {
        return ZipkinSpanExporter.builder().setSender(URLConnectionSender.create(endpoint)).build();
    }

    /** A collector's base URL ({@code http://collector:4318}) gets OTLP/HTTP's traces path; a URL with a path is kept. */
    static String tracesUrl(String endpoint) {
        String path = java.net.URI.create(endpoint).getPath();
        return path == null || path.isEmpty() || path.equals("/")
                ? endpoint.replaceAll("/$", "") + "/v1/traces" : endpoint;
    }

    /** service.name, service.instance.id, and what {@code OTEL_RESOURCE_ATTRIBUTES} adds (k=v,k2=v2). */
    static Resource resource(String workerId, String extra) {
        var attributes = Attributes.builder()
                .put(AttributeKey.stringKey("service.name"), "minitron-worker")
                .put(AttributeKey.stringKey("service.instance.id"), workerId);
        if (extra != null) {
            parseHeaders(extra).forEach(kv -> attributes.put(AttributeKey.stringKey(kv[0]), kv[1]));
        }
        return Resource.getDefault().merge(Resource.create(attributes.build()));
    }

    /**
     * {@code k=v,k2=v2}, as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES: values are
     * percent-encoded there ({@code Authorization=Bearer%20x}), so they are decoded.
     */
    static List<String[]> parseHeaders(String spec) {
        List<String[]> headers = new ArrayList<>();
        for (String pair : spec.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                String value = pair.substring(eq + 1).trim();
                try {
                    value = java.net.URLDecoder.decode(value.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    // not valid percent-encoding: take it as it is
                }
                headers.add(new String[] {pair.substring(0, eq).trim(), value});
            }
        }
        return headers;
    }

    @PreDestroy
    void close() {
        if (sdk != null) {
            sdk.shutdown().join(10, TimeUnit.SECONDS);   // flushes what the batch processors hold
        }
    }
}
