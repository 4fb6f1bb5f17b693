package dev.minitron.worker.gateway;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.quarkus.runtime.configuration.DurationConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.WithDefault;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.jboss.logging.Logger;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.jboss.logmanager.handlers.ConsoleHandler;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/**
 * A gateway-only process: no model, no engine, no prompt consumer, so it starts in a second and
 * fits in a small pod that scales on request rate. Same image and configuration keys as a worker
 * ({@code minitron.gateway.*}, {@code minitron.topics.*}, {@code kafka.*} or {@code KAFKA_*}
 * variables, {@code minitron.tracing.*}); it serves its own {@code /q/health/ready},
 * {@code /q/health/live} and {@code /q/metrics} on the gateway port. Run as
 * {@code java -cp '/deployments/app/*:/deployments/lib/main/*:/deployments/lib/boot/*' dev.minitron.worker.gateway.GatewayMain}
 * (the chart does) or {@code ./minitron gateway}.
 */
public final class GatewayMain {

    private static final Logger LOG = Logger.getLogger(GatewayMain.class);

    private GatewayMain() {
    }

    public static void main(String[] args) throws Exception {
        logToConsole();
        SmallRyeConfig config = config();
        GatewaySettings settings = GatewaySettings.from(mapping(key -> config.getOptionalValue(key, String.class)),
                key -> config.getOptionalValue(key, String.class));
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SdkTracerProvider tracing = tracing(config);
        Tracer tracer = tracing == null ? OpenTelemetry.noop().getTracer("dev.minitron.gateway")
                : tracing.get("dev.minitron.gateway");
        Gateway gateway = new Gateway(settings, kafka(config), registry, tracer, null);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                gateway.close();
                if (tracing != null) {
                    tracing.close();
                }
            } catch (Exception e) {
                LOG.warnf("gateway: did not stop cleanly: %s", e.getMessage());
            }
            stop.countDown();
        }));
        gateway.start(Optional.of(routes -> {
            routes.get("/q/health/live").handler(ctx -> ctx.response().end("{\"status\":\"UP\"}"));
            routes.get("/q/health/ready").handler(ctx -> ctx.response().setStatusCode(gateway.ready() ? 200 : 503)
                    .putHeader("Content-Type", "application/json")
                    .end(gateway.ready() ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}"));
            routes.get("/q/metrics").handler(ctx -> ctx.response()
                    .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape()));
        }));
        if (!gateway.awaitReady(Duration.ofMinutes(2))) {
            LOG.warn("gateway: the output topics are not readable yet; requests get 503 until they are");
        }
        stop.await();
    }

    /**
     * The worker's log format on the console. Outside Quarkus nobody configures the log manager:
     * its root holds only Quarkus' delayed handler, which buffers every record for a configuration
     * that never comes. Kafka clients say only what goes wrong.
     */
    private static void logToConsole() {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler(new PatternFormatter("%d{HH:mm:ss.SSS} %-5p [%c{2.}] (%t) %s%e%n"));
        console.setLevel(Level.INFO);
        root.addHandler(console);
        java.util.logging.Logger.getLogger("org.apache.kafka").setLevel(Level.WARNING);
    }

    /** System properties, environment variables and the application's own application.properties. */
    static SmallRyeConfig config() throws java.io.IOException {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().addDefaultSources().addDefaultInterceptors();
        URL properties = GatewayMain.class.getClassLoader().getResource("application.properties");
        if (properties != null) {
            builder.withSources(new PropertiesConfigSource(properties, 250));
        }
        return builder.build();
    }

    /**
     * {@link GatewayConfig} over plain configuration: SmallRye's own mapping generates classes with
     * ASM at run time, which only Quarkus' build step provides. Each method reads its kebab-case
     * key, else its {@link WithDefault}.
     */
    static GatewayConfig mapping(Function<String, Optional<String>> config) {
        return (GatewayConfig) Proxy.newProxyInstance(GatewayConfig.class.getClassLoader(),
                new Class<?>[] {GatewayConfig.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.invoke(config, args);
                    }
                    String key = "minitron.gateway." + method.getName().replaceAll("([a-z])([A-Z])", "$1-$2")
                            .toLowerCase(Locale.ROOT);
                    WithDefault fallback = method.getAnnotation(WithDefault.class);
                    Optional<String> value = config.apply(key).or(() -> Optional.ofNullable(fallback).map(WithDefault::value));
                    Class<?> type = method.getReturnType();
                    if (type == Optional.class) {
                        boolean path = method.getGenericReturnType().getTypeName().contains("Path");
                        return value.filter(v -> !v.isBlank()).map(v -> path ? Path.of(v) : v);
                    }
                    String v = value.orElseThrow(() -> new IllegalStateException(key + " is not set"));
                    if (type == boolean.class) {
                        return Boolean.parseBoolean(v);
                    }
                    if (type == int.class) {
                        return Integer.parseInt(v);
                    }
                    if (type == Duration.class) {
                        return DurationConverter.parseDuration(v);
                    }
                    return v;
                });
    }

    /** {@code kafka.*} keys and {@code KAFKA_*} variables, as Quarkus reads them for a worker. */
    static Map<String, Object> kafka(SmallRyeConfig config) {
        Map<String, Object> props = new HashMap<>();
        System.getenv().forEach((name, value) -> {
            if (name.startsWith("KAFKA_")) {
                props.put(name.substring(6).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        for (String name : config.getPropertyNames()) {
            if (name.startsWith("kafka.")) {
                config.getOptionalValue(name, String.class).ifPresent(v -> props.put(name.substring(6), v));
            }
        }
        return clientSettings(props);
    }

    /** Only the settings some Kafka client knows (the Quarkus extension's own keys are dropped). */
    static Map<String, Object> clientSettings(Map<String, Object> kafka) {
        Map<String, Object> props = new HashMap<>();
        kafka.forEach((k, v) -> {
            if (ProducerConfig.configNames().contains(k) || ConsumerConfig.configNames().contains(k)
                    || AdminClientConfig.configNames().contains(k) || k.startsWith("sasl.") || k.startsWith("ssl.")) {
                props.put(k, v);
            }
        });
        props.putIfAbsent("bootstrap.servers", "localhost:9092");
        return props;
    }

    private static SdkTracerProvider tracing(SmallRyeConfig config) {
        Optional<String> zipkin = config.getOptionalValue("minitron.tracing.zipkin-endpoint", String.class);
        Optional<String> otlp = config.getOptionalValue("minitron.tracing.otlp-endpoint", String.class);
        var exporter = zipkin.filter(s -> !s.isBlank())
                .<io.opentelemetry.sdk.trace.export.SpanExporter>map(z ->
                        ZipkinSpanExporter.builder().setSender(URLConnectionSender.create(z)).build())
                .or(() -> otlp.filter(s -> !s.isBlank()).map(o -> OtlpHttpSpanExporter.builder().setEndpoint(o).build()));
        return exporter.map(e -> SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), "minitron-gateway"))))
                .addSpanProcessor(BatchSpanProcessor.builder(e).build())
                .build()).orElse(null);
    }
}
