package dev.minitron.worker.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The two exporters as the worker builds them (OTLP over the JDK's HTTP client, Zipkin over
 * HttpURLConnection: no OkHttp on the class path) deliver a span to a real HTTP endpoint.
 */
class ExportersTest {

    private record Request(String path, String contentType, String authorization, byte[] body) {
    }

    private HttpServer server;
    private final CompletableFuture<Request> received = new CompletableFuture<>();

    @BeforeEach
    void listen() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                body = new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
            }
            received.complete(new Request(exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    exchange.getRequestHeaders().getFirst("Authorization"), body));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private Request export(SpanExporter exporter, String spanName) throws Exception {
        try (var provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()) {
            provider.get("test").spanBuilder(spanName).startSpan().end();
            provider.forceFlush().join(10, TimeUnit.SECONDS);
            return received.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void otlpPostsProtobufToTheCollectorsTracesPathWithTheConfiguredHeaders() throws Exception {
        Request r = export(Telemetry.otlp(base(), "Authorization=Bearer t0ken"), "otlp-span");

        assertThat(r.path()).isEqualTo("/v1/traces");
        assertThat(r.contentType()).isEqualTo("application/x-protobuf");
        assertThat(r.authorization()).isEqualTo("Bearer t0ken");
        assertThat(new String(r.body(), StandardCharsets.ISO_8859_1)).contains("otlp-span");
    }

    @Test
    void zipkinPostsV2JsonToTheGivenUrl() throws Exception {
        Request r = export(Telemetry.zipkin(base() + "/api/v2/spans"), "zipkin-span");

        assertThat(r.path()).isEqualTo("/api/v2/spans");
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("\"name\":\"zipkin-span\"");
    }
}
