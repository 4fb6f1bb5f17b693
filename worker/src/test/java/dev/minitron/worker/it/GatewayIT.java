package dev.minitron.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.WeightsFormat;
import dev.minitron.worker.dev.DevBroker;
import dev.minitron.worker.gateway.Gateway;
import dev.minitron.worker.gateway.GatewaySettings;
import dev.minitron.worker.testing.KafkaBrokerExtension;
import dev.minitron.worker.testing.Scrape;
import dev.minitron.worker.testing.TopicSet;
import dev.minitron.worker.testing.WorkerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible gateway against a real broker and a real worker process: the gateway
 * inside the worker ({@code minitron.gateway.enabled=true}) for the API, auth, idempotency and
 * disconnect checks and OpenAI's own Node client, and a second gateway instance in this JVM (as a
 * gateway-only process runs it) that must outlive a {@code kill -9} of the worker mid-stream.
 */
@ExtendWith(KafkaBrokerExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String MODEL = "tiny-gateway";
    private static final String ACME = "acme-key-0123456789";
    private static final String GLOBEX = "globex-key-9876543210";
    /** Slow enough on one thread that a stream of a few hundred tokens lasts seconds. */
    private static final ModelConfig SLOW = new ModelConfig("nemotron", 384, 1536, 4, 6, 2, 64, 1024, 2048,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16");

    private static String bootstrap;
    private static TopicSet topics;
    private static Path model;
    private static Path logs;
    private static WorkerProcess worker;
    private static int embeddedPort;
    private static Gateway standalone;
    private static int standalonePort;

    @BeforeAll
    static void start(DevBroker broker, @TempDir Path dir) throws Exception {
        bootstrap = broker.bootstrapServers();
        model = dir.resolve(MODEL);
        TinyCheckpoint.write(model, SLOW, 5, WeightsFormat.SAFETENSORS);
        topics = TopicSet.create(bootstrap, "gateway", 2);
        logs = Fleet.logDir("GatewayIT");
        embeddedPort = freePort();
        worker = WorkerProcess.start("gateway-worker", bootstrap, model, logs, Fleet.with(Fleet.settings(topics),
                "minitron.gateway.enabled", "true", "minitron.gateway.port", Integer.toString(embeddedPort),
                "minitron.gateway.api-keys", "acme=" + ACME + ",globex=" + GLOBEX));
        standalone = new Gateway(settings(), Map.of("bootstrap.servers", bootstrap), new SimpleMeterRegistry(),
                OpenTelemetry.noop().getTracer("test"), null);
        standalonePort = standalone.start();
        worker.awaitReady(Duration.ofSeconds(90));
        assertThat(standalone.awaitReady(Duration.ofSeconds(30))).isTrue();
    }

    private static GatewaySettings settings() {
        return new GatewaySettings("127.0.0.1", 0, MODEL, Optional.of(model), Optional.of("acme=" + ACME), Optional.empty(),
                false, "default", Duration.ofMinutes(2), 64, Duration.ofMinutes(10), 1000,
                new GatewaySettings.Topics(topics.prompts(), topics.tokens(), topics.completions(), topics.errors(),
                        topics.cancels()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (standalone != null) {
            standalone.close();
        }
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    @Order(1)
    void callersWithoutAValidKeyAreTurnedAway() throws Exception {
        var none = send(embeddedPort, "GET", "/v1/models", null, null, Map.of());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(none.body()).at("/error/code").asText()).isEqualTo("missing_api_key");
        var wrong = send(embeddedPort, "GET", "/v1/models", "sk-not-a-key", null, Map.of());
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(wrong.body()).at("/error/code").asText()).isEqualTo("invalid_api_key");
        var models = send(embeddedPort, "GET", "/v1/models", ACME, null, Map.of());
        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(models.body()).at("/data/0/id").asText()).isEqualTo(MODEL);
    }

    @Test
    @Order(2)
    void aCompletionPlainAndStreamedGivesTheSameText() throws Exception {
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"The capital of France is\",\"max_tokens\":8,\"temperature\":0}";
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var plain = send(embeddedPort, "POST", "/v1/completions", ACME, body,
                Map.of("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01"));
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(200);
        JsonNode c = JSON.readTree(plain.body());
        var prompt = records(topics.prompts(), "acme:" + c.get("id").asText()).getFirst();
        assertThat(new String(prompt.headers().lastHeader("traceparent").value(), StandardCharsets.UTF_8))
                .as("the caller's trace goes on in the prompt record, so the worker's spans join it").contains(traceId);
        assertThat(c.get("object").asText()).isEqualTo("text_completion");
        assertThat(c.get("id").asText()).startsWith("cmpl-");
        assertThat(c.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(c.at("/usage/completion_tokens").asInt()).isEqualTo(8);
        assertThat(c.at("/usage/total_tokens").asInt()).isEqualTo(8 + c.at("/usage/prompt_tokens").asInt());

        Sse sse = stream(embeddedPort, body.replace("}", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"),
                ACME, Map.of(), Integer.MAX_VALUE, null);
        assertThat(sse.done).isTrue();
        assertThat(sse.error).isNull();
        assertThat(sse.text()).isEqualTo(c.at("/choices/0/text").asText());
        assertThat(sse.finishReason).isEqualTo("length");
        assertThat(sse.usage.get("completion_tokens").asInt()).isEqualTo(8);
    }

    @Test
    @Order(3)
    void badParametersAreNamed() throws Exception {
        assertError(send(embeddedPort, "POST", "/v1/completions", ACME,
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"x\",\"temperature\":-1}", Map.of()), 400, "temperature");
        assertError(send(embeddedPort, "POST", "/v1/completions", ACME,
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"x\",\"n\":2}", Map.of()), 400, "n");
        assertError(send(embeddedPort, "POST", "/v1/completions", ACME,
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"x\",\"echo\":true}", Map.of()), 400, "echo");
        assertError(send(embeddedPort, "POST", "/v1/completions", ACME, "{\"model\":\"" + MODEL + "\"}", Map.of()), 400,
                "prompt");
        assertError(send(embeddedPort, "POST", "/v1/completions", ACME, "{\"model\":\"gpt-4o\",\"prompt\":\"x\"}", Map.of()),
                404, "model");
        var chat = send(embeddedPort, "POST", "/v1/chat/completions", ACME,
                "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", Map.of());
        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(chat.body()).at("/error/code").asText()).isEqualTo("no_chat_template");
    }

    @Test
    @Order(4)
    void aRetriedPostWithTheSameIdempotencyKeyIsAnsweredOnceAndOnlyForItsTenant() throws Exception {
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Retry me\",\"max_tokens\":12}";
        Map<String, String> key = Map.of("Idempotency-Key", "retry-1");
        // two at once (one joins the other), then one after the answer (from the answers kept)
        var a = CompletableFuture.supplyAsync(() -> sendUnchecked(embeddedPort, body, key));
        var b = CompletableFuture.supplyAsync(() -> sendUnchecked(embeddedPort, body, key));
        String first = a.get(60, TimeUnit.SECONDS).body();
        // the same answer; "created" is when each response was made (it may tick over a second)
        assertThat(withoutCreated(b.get(60, TimeUnit.SECONDS).body())).isEqualTo(withoutCreated(first));
        var later = send(embeddedPort, "POST", "/v1/completions", ACME, body, key);
        assertThat(withoutCreated(later.body())).isEqualTo(withoutCreated(first));
        // the other gateway instance knows the answer too (it reads every completion)
        var elsewhere = send(standalonePort, "POST", "/v1/completions", ACME, body, key);
        assertThat(JSON.readTree(elsewhere.body()).at("/choices/0/text")).isEqualTo(JSON.readTree(first).at("/choices/0/text"));
        assertThat(records(topics.prompts(), "acme:cmpl-retry-1")).as("one prompt event for the key").hasSize(1);

        assertThat(send(embeddedPort, "GET", "/v1/completions/cmpl-retry-1", ACME, null, Map.of()).statusCode()).isEqualTo(200);
        var foreign = send(embeddedPort, "GET", "/v1/completions/cmpl-retry-1", GLOBEX, null, Map.of());
        assertThat(foreign.statusCode()).as("another tenant's id").isEqualTo(404);
        // the same key from another tenant is another request
        var globex = send(embeddedPort, "POST", "/v1/completions", GLOBEX, body, key);
        assertThat(globex.statusCode()).isEqualTo(200);
        assertThat(records(topics.prompts(), "globex:cmpl-retry-1")).hasSize(1);
        JsonNode prompt = JSON.readTree(records(topics.prompts(), "globex:cmpl-retry-1").getFirst().value());
        assertThat(prompt.get("tenant").asText()).isEqualTo("globex");
    }

    private static JsonNode withoutCreated(String body) throws Exception {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(body);
        node.remove("created");
        return node;
    }

    @Test
    @Order(5)
    void aClientThatDisconnectsMidStreamCancelsItsRequest() throws Exception {
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"A long story\",\"max_tokens\":1500,\"temperature\":0,"
                + "\"ignore_eos\":true,\"stream\":true}";
        Sse sse = stream(embeddedPort, body, ACME, Map.of(), 3, null);
        assertThat(sse.done).isFalse();
        String id = "acme:" + sse.id;
        JsonNode completion = awaitCompletion(id, Duration.ofSeconds(30));
        assertThat(completion.get("finish_reason").asText()).isEqualTo("cancelled");
        assertThat(completion.at("/usage/completion_tokens").asInt()).isLessThan(1500);
        assertThat(records(topics.cancels(), id)).hasSize(1);
        awaitKvFreed();
    }

    @Test
    @Order(6)
    void openAisNodeClientWorksAgainstIt() throws Exception {
        Path project = NodeProject.install(Path.of("src/test/node"), Path.of("target/gateway-node"));
        Assumptions.assumeTrue(project != null, "node and npm are needed (Debian's nodejs and npm; .ci/run installs them)");
        var builder = new ProcessBuilder("node", "gateway-client.mjs").directory(project.toFile()).redirectErrorStream(true);
        builder.environment().put("BASE_URL", "http://localhost:" + embeddedPort + "/v1");
        builder.environment().put("API_KEY", ACME);
        builder.environment().put("MODEL", MODEL);
        Process p = builder.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, JsonNode> checks = new HashMap<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                JsonNode n = JSON.readTree(line);
                checks.put(n.get("check").asText(), n);
            }
        }
        assertThat(checks.keySet()).as(out).contains("plain", "stream", "bad_parameter", "unknown_model", "disconnect",
                "idempotency", "models");
        String aborted = "acme:" + checks.get("disconnect").get("id").asText();
        assertThat(awaitCompletion(aborted, Duration.ofSeconds(30)).get("finish_reason").asText()).isEqualTo("cancelled");
        assertThat(records(topics.prompts(), "acme:" + checks.get("idempotency").get("id").asText())).hasSize(1);
        awaitKvFreed();
    }

    /**
     * The worker dies (SIGKILL) mid-stream; another takes the prompt over and starts it again as
     * attempt 2. The gateway in this JVM keeps the caller's stream and goes on where it was: the
     * caller reads one whole answer, the same text as an uninterrupted run.
     */
    @Test
    @Order(7)
    void aStreamSurvivesAWorkerKilledMidGeneration() throws Exception {
        String prompt = "\"prompt\":\"Survive this\",\"max_tokens\":300,\"temperature\":0,\"ignore_eos\":true";
        String body = "{\"model\":\"" + MODEL + "\"," + prompt + ",\"stream\":true}";
        WorkerProcess[] survivor = new WorkerProcess[1];
        Sse sse = stream(standalonePort, body, ACME, Map.of(), Integer.MAX_VALUE, chunks -> {
            if (chunks == 20) {
                try {
                    worker.killHard();
                    survivor[0] = WorkerProcess.start("gateway-survivor", bootstrap, model, logs, Fleet.settings(topics));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        try (WorkerProcess second = survivor[0]) {
            assertThat(sse.error).isNull();
            assertThat(sse.done).isTrue();
            assertThat(sse.finishReason).isEqualTo("length");
            String id = "acme:" + sse.id;
            List<Integer> attempts = records(topics.tokens(), id).stream()
                    .map(r -> readUnchecked(r.value()).get("attempt").asInt()).distinct().toList();
            assertThat(attempts).as("the prompt was generated again after the kill").contains(1, 2);
            var again = send(standalonePort, "POST", "/v1/completions", ACME, "{\"model\":\"" + MODEL + "\"," + prompt + "}",
                    Map.of());
            assertThat(sse.text()).as("one whole answer, as an uninterrupted run writes it")
                    .isEqualTo(JSON.readTree(again.body()).at("/choices/0/text").asText());
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** What a caller read from an SSE stream. */
    static final class Sse {
        String id;
        final List<String> deltas = new ArrayList<>();
        String finishReason;
        JsonNode usage;
        JsonNode error;
        boolean done;

        String text() {
            return String.join("", deltas);
        }
    }

    /**
     * Reads an SSE stream; stops (and hangs up) after {@code maxChunks} chunks.
     *
     * @param onChunk called with the number of chunks read so far, or null
     */
    private static Sse stream(int port, String body, String key, Map<String, String> headers, int maxChunks,
            java.util.function.IntConsumer onChunk) throws Exception {
        var response = HTTP.send(request(port, "POST", "/v1/completions", key, body, headers),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        Sse sse = new Sse();
        int chunks = 0;
        try (InputStream in = response.body();
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                assertThat(line).startsWith("data: ");
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    sse.done = true;
                    break;
                }
                JsonNode chunk = JSON.readTree(data);
                if (chunk.has("error")) {
                    sse.error = chunk.get("error");
                    break;
                }
                sse.id = chunk.get("id").asText();
                if (chunk.has("usage")) {
                    sse.usage = chunk.get("usage");
                }
                if (!chunk.get("choices").isEmpty()) {
                    sse.deltas.add(chunk.at("/choices/0/text").asText());
                    if (!chunk.at("/choices/0/finish_reason").isNull()) {
                        sse.finishReason = chunk.at("/choices/0/finish_reason").asText();
                    }
                }
                chunks++;
                if (onChunk != null) {
                    onChunk.accept(chunks);
                }
                if (chunks >= maxChunks) {
                    break;   // closing the stream hangs up
                }
            }
        }
        return sse;
    }

    private static HttpRequest request(int port, String method, String path, String key, String body,
            Map<String, String> headers) {
        var b = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(90));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        headers.forEach(b::header);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private static HttpResponse<String> send(int port, String method, String path, String key, String body,
            Map<String, String> headers) throws Exception {
        return HTTP.send(request(port, method, path, key, body, headers), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> sendUnchecked(int port, String body, Map<String, String> headers) {
        try {
            return send(port, "POST", "/v1/completions", ACME, body, headers);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertError(HttpResponse<String> response, int status, String param) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.has("type")).isTrue();
    }

    private static JsonNode readUnchecked(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every record with this key on a topic, read from the beginning until the end (read_committed). */
    private static List<ConsumerRecord<String, String>> records(String topic, String key) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (var c = new KafkaConsumer<String, String>(p)) {
            var parts = c.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (var r : c.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    private static JsonNode awaitCompletion(String id, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var found = records(topics.completions(), id);
            if (!found.isEmpty()) {
                return JSON.readTree(found.getLast().value());
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no completion for " + id + " within " + timeout);
    }

    /** The worker's KV cache is back to empty: the cancelled request freed its blocks. */
    private static void awaitKvFreed() throws Exception {
        URI metrics = URI.create("http://localhost:" + worker.httpPort() + "/q/metrics");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        double usage = -1;
        while (System.nanoTime() < deadline) {
            usage = Scrape.of(metrics).series("minitron:kv_cache_usage_perc").getFirst().value();
            if (usage == 0.0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("KV cache still in use: " + usage);
    }

    private static int freePort() throws Exception {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
