package dev.minitron.worker.it;

import dev.minitron.worker.testing.WorkerProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.testing.AnswerChecker;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.TopicSet;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trace of one request in a real trace UI: a real broker, a real worker process exporting to a
 * real Zipkin server (the jar the demo runs), a prompt carrying a producer's {@code traceparent},
 * and headless Chromium (Debian's {@code chromium}) rendering Zipkin's trace page. The page must show
 * the worker's spans of that trace: the Kafka consumer span and the GenAI request span. Chromium also
 * leaves a screenshot in target/trace-ui/ (docs/tracing.md shows one).
 */
@ExtendWith(KafkaBrokerExtension.class)
class TraceUiIT {

    private static final Path ZIPKIN_JAR = Path.of("target/zipkin/zipkin-server.jar");
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void theDemoRequestsTraceShowsItsSpansInZipkin(DevBroker broker, @TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "headless Chromium is not installed (Debian: apt-get install chromium;"
                + " .ci/run installs it)");
        assertThat(ZIPKIN_JAR).as("the worker build copies Zipkin's jar").exists();
        Path out = Files.createDirectories(Path.of("target/trace-ui"));
        Path model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 3);
        String bootstrap = broker.bootstrapServers();
        TopicSet topics = TopicSet.create(bootstrap, "traced", 1);
        int zipkinPort = freePort();
        Process zipkin = startZipkin(zipkinPort, out.resolve("zipkin.log"));
        try {
            awaitHttp("http://localhost:" + zipkinPort + "/health", Duration.ofSeconds(120), zipkin);
            Map<String, String> settings = Fleet.with(Fleet.settings(topics),
                    "minitron.tracing.zipkin-endpoint", "http://localhost:" + zipkinPort + "/api/v2/spans");
            String traceId = HexFormat.of().formatHex(randomBytes(16));
            String traceparent = "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01";
            try (AnswerChecker checker = topics.checker(bootstrap);
                 WorkerProcess worker = WorkerProcess.start("traced", bootstrap, model, Fleet.logDir("TraceUiIT"), settings)) {
                worker.awaitReady(Duration.ofSeconds(120));
                try (var producer = Fleet.producer(bootstrap)) {
                    var record = new ProducerRecord<>(topics.prompts(), "traced-1",
                            "{\"id\":\"traced-1\",\"prompt\":\"The capital of France is\",\"max_tokens\":8}");
                    record.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
                    producer.send(record).get();
                }
                checker.awaitAllAnswered(Duration.ofSeconds(60));

                JsonNode spans = awaitTrace(zipkinPort, traceId, Duration.ofSeconds(60));
                List<String> names = new ArrayList<>();
                spans.forEach(s -> names.add(s.path("name").asText()));
                assertThat(names).as("spans of the trace in Zipkin's API")
                        .anyMatch(n -> n.startsWith("process"))
                        .anyMatch(n -> n.startsWith("text_completion"));
                assertThat(spans.toString()).as("no prompt text in any span").doesNotContain("capital of France");

                String page = "http://localhost:" + zipkinPort + "/zipkin/traces/" + traceId;
                String dom = chromium(out, "--dump-dom", page);
                assertThat(dom).as("Zipkin's trace page, as Chromium rendered it")
                        .contains(traceId)
                        .contains("minitron-worker")
                        .contains("text_completion");
                chromium(out, "--screenshot=" + out.resolve("trace.png").toAbsolutePath(), page);
                assertThat(out.resolve("trace.png")).exists();
            }
        } finally {
            zipkin.destroy();
            if (!zipkin.waitFor(10, TimeUnit.SECONDS)) {
                zipkin.destroyForcibly();
            }
        }
    }

    private static Process startZipkin(int port, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar",
                ZIPKIN_JAR.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("QUERY_PORT", Integer.toString(port));
        pb.environment().put("STORAGE_TYPE", "mem");
        return pb.start();
    }

    /** Zipkin's stored spans of one trace; the worker's exporter batches, so they arrive within seconds. */
    private static JsonNode awaitTrace(int port, String traceId, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + port + "/api/v2/trace/" + traceId)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                last = new ObjectMapper().readTree(r.body());
                if (last.toString().contains("text_completion") && last.toString().contains("\"process")) {
                    return last;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("trace " + traceId + " did not reach Zipkin within " + timeout + "; last answer: " + last);
    }

    /** Headless Chromium on {@code url}; returns what it printed (the DOM for --dump-dom). */
    private static String chromium(Path out, String mode, String url) throws Exception {
        Path profile = Files.createTempDirectory(out, "chromium-profile");
        Path stdout = out.resolve("chromium.out");
        Process p = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath(), "--window-size=1400,800",
                "--virtual-time-budget=15000", mode, url)
                .redirectOutput(stdout.toFile())   // to a file, so the timeout below holds even if chromium hangs
                .redirectError(out.resolve("chromium.log").toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within 90 s");
        }
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    private static void awaitHttp(String url, Duration timeout, Process server) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(server.isAlive()).as("Zipkin is running (target/trace-ui/zipkin.log)").isTrue();
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(300);
        }
        throw new AssertionError(url + " not up within " + timeout);
    }

    private static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
