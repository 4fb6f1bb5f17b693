package dev.minitron.worker.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.minitron.schemas.Topics;
import dev.minitron.worker.dev.TopicSetup;
import dev.minitron.worker.testing.TemporaryKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two instances of the views in one consumer group on a real broker, each behind its own HTTP
 * endpoint: every id and tenant is answered by either instance (forwarded to the owner), and a
 * listing asked of one holds the requests of both. No worker: the answers are written directly.
 */
class TwoInstancesTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final int REQUESTS = 24;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TemporaryKafka kafka;
    private static final List<Instance> instances = new ArrayList<>();
    private static final HttpClient http = HttpClient.newHttpClient();

    /** One view instance: Kafka Streams and a tiny HTTP front that routes to its queries. */
    private record Instance(KafkaStreams streams, HttpServer server, StatusQueries queries) {
        URI uri(String pathAndQuery) {
            return URI.create("http://localhost:" + server.getAddress().getPort() + pathAndQuery);
        }

        void close() {
            streams.close(Duration.ofSeconds(10));
            server.stop(0);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        kafka = TemporaryKafka.start(TopicSetup.DEFAULT_PARTITIONS);
        for (int i = 0; i < 2; i++) {
            instances.add(startInstance());
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!instances.stream().allMatch(in -> in.streams().state() == KafkaStreams.State.RUNNING
                && in.streams().streamsMetadataForStore(StatusTopology.STATUS_STORE).size() == 2)) {
            assertThat(System.nanoTime()).as("both instances running in one group").isLessThan(deadline);
            Thread.sleep(100);
        }
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < REQUESTS; i++) {
                String id = "two-%02d".formatted(i);
                String tenant = "tenant-" + (i % 3);
                producer.send(new ProducerRecord<>(Topics.PROMPTS, id,
                        "{\"id\":\"%s\",\"prompt\":\"x\",\"tenant\":\"%s\"}".formatted(id, tenant)));
                producer.send(new ProducerRecord<>(Topics.COMPLETIONS, id, ("{\"id\":\"%s\",\"attempt\":1,\"text\":\"t\","
                        + "\"finish_reason\":\"stop\",\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":2,"
                        + "\"cached_tokens\":0},\"timing\":{\"queued_ms\":1,\"ttft_ms\":1,\"duration_ms\":1},"
                        + "\"model\":\"m\",\"worker\":\"w\"}").formatted(id, i)));
            }
            producer.flush();
        }
    }

    @AfterAll
    static void stop() {
        instances.forEach(Instance::close);
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void eitherInstanceAnswersForEveryIdAndSomeAnswersAreForwarded() throws Exception {
        Set<HostInfo> owners = new HashSet<>();
        for (int i = 0; i < REQUESTS; i++) {
            String id = "two-%02d".formatted(i);
            for (Instance asked : instances) {
                JsonNode status = awaitJson(asked.uri("/requests/" + id), s -> s.get("status").asText().equals("done"));
                assertThat(status.get("tenant").asText()).isEqualTo("tenant-" + (i % 3));
                assertThat(status.get("prompt_tokens").asInt()).isEqualTo(i);
            }
            owners.add(instances.getFirst().streams()
                    .queryMetadataForKey(StatusTopology.STATUS_STORE, id, new StringSerializer()).activeHost());
        }
        assertThat(owners).as("the ids are spread over both instances, so answers were forwarded").hasSize(2);
        assertThat(send(instances.getLast().uri("/requests/two-none")).statusCode()).isEqualTo(404);
    }

    @Test
    void aListingAskedOfOneInstanceHoldsTheRequestsOfBothInIdOrder() throws Exception {
        awaitJson(instances.getFirst().uri("/requests?tenant=tenant-1&limit=1000"), p -> p.get("requests").size() == 8);
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = json(send(instances.getLast().uri("/requests?tenant=tenant-1&limit=3"
                    + (cursor == null ? "" : "&cursor=" + cursor))));
            page.get("requests").forEach(r -> paged.add(r.get("id").asText()));
            cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
        } while (cursor != null);
        List<String> expected = new ArrayList<>();
        for (int i = 1; i < REQUESTS; i += 3) {
            expected.add("two-%02d".formatted(i));
        }
        assertThat(paged).containsExactlyElementsOf(expected);
    }

    @Test
    void usageOfATenantIsTheSameFromEitherInstance() throws Exception {
        long expectedPrompt = 0;
        for (int i = 0; i < REQUESTS; i += 3) {
            expectedPrompt += i;
        }
        for (Instance asked : instances) {
            JsonNode usage = awaitJson(asked.uri("/usage/tenant-0?from=0"), u -> u.get("requests").asLong() == 8);
            assertThat(usage.get("prompt_tokens").asLong()).isEqualTo(expectedPrompt);
            assertThat(usage.get("completion_tokens").asLong()).isEqualTo(16);
        }
    }

    @Test
    void theInternalTopicsAreTheOnesDocsStatusMdNames() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Set<String> internal = new TreeSet<>(admin.listTopics().names().get(30, TimeUnit.SECONDS));
            internal.removeIf(t -> !t.startsWith("two-instances-test-"));
            assertThat(internal).containsExactlyInAnyOrder(
                    "two-instances-test-minitron-status-store-changelog",
                    "two-instances-test-usage-by-tenant-repartition",
                    "two-instances-test-minitron-usage-store-changelog",
                    "two-instances-test-usage-final-store-changelog");
        }
    }

    private static Instance startInstance() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("localhost", 0), 0);
        HostInfo self = new HostInfo("localhost", server.getAddress().getPort());
        TopologySettings settings = TopologySettings.defaults();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "two-instances-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, "localhost:" + self.port());
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("two-instances-").toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        KafkaStreams streams = new KafkaStreams(StatusTopology.build(settings), props);
        StatusQueries queries = new StatusQueries(streams, self, settings, Duration.ofSeconds(5));
        server.createContext("/", exchange -> route(exchange, queries));
        server.start();
        streams.start();
        return new Instance(streams, server, queries);
    }

    /** The routes of StatusResource, for a server without Quarkus. */
    private static void route(HttpExchange exchange, StatusQueries queries) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
        StatusAnswer answer;
        if (path.startsWith("/requests/")) {
            answer = queries.request(decode(path.substring("/requests/".length())), "true".equals(q.get("forwarded")));
        } else if (path.equals("/requests")) {
            answer = queries.list(q.get("tenant"), RequestState.fromWireName(q.get("status")),
                    Integer.parseInt(q.getOrDefault("limit", "100")), q.get("cursor"), "local".equals(q.get("scope")));
        } else if (path.startsWith("/usage/")) {
            answer = queries.usage(decode(path.substring("/usage/".length())), Long.parseLong(q.getOrDefault("from", "0")),
                    Long.parseLong(q.getOrDefault("to", String.valueOf(Long.MAX_VALUE / 2))),
                    "true".equals(q.get("forwarded")));
        } else {
            answer = StatusAnswer.notFound(path);
        }
        byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(answer.status(), body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                q.put(decode(pair.substring(0, eq)), decode(pair.substring(eq + 1)));
            }
        }
        return q;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static JsonNode awaitJson(URI uri, java.util.function.Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = send(uri);
            if (last.statusCode() == 200 && done.test(json(last))) {
                return json(last);
            }
            Thread.sleep(50);
        }
        throw new AssertionError(uri + ": last answer " + (last == null ? "none" : last.statusCode() + " " + last.body()));
    }

    private static HttpResponse<String> send(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }
}
