package dev.minitron.worker.bench;

import dev.minitron.schemas.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The gateway's cost (docs/benchmarks/gateway.md): time to first token through HTTP and the
 * gateway vs. straight through Kafka, one request at a time; then a closed-loop load of streamed
 * requests through one gateway instance while two more run beside it, with the CPU each gateway
 * process spends. The idle instances read every output record and keep none: their CPU is what
 * the "every instance reads and filters" routing costs per instance as the fleet's output grows.
 * Gateways run as {@code GatewayMain} processes (as the chart runs them), the worker as packaged.
 */
final class GatewayBenchmark {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private GatewayBenchmark() {
    }

    record GatewayProcess(Process process, int port, Path log) {
        /** utime + stime of the process, in seconds (Linux). */
        double cpuSeconds() throws Exception {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        }
    }

    static String run(Map<String, String> opts) throws Exception {
        int singles = Integer.parseInt(opts.getOrDefault("singles", "200"));
        int clients = Integer.parseInt(opts.getOrDefault("clients", "16"));
        int seconds = Integer.parseInt(opts.getOrDefault("seconds", "30"));
        int maxTokens = Integer.parseInt(opts.getOrDefault("max-tokens", "16"));
        int instances = Integer.parseInt(opts.getOrDefault("gateways", "3"));
        try (BenchFleet fleet = BenchFleet.start(4)) {
            fleet.startWorker("bench-worker", Map.of(), List.of("-Xmx1g"));
            List<GatewayProcess> gateways = new ArrayList<>();
            try {
                for (int i = 1; i <= instances; i++) {
                    gateways.add(startGateway(fleet, "gateway-" + i));
                }
                Random random = new Random(7);
                List<int[]> workload = new ArrayList<>();
                for (int i = 0; i < Math.max(singles, 64); i++) {
                    workload.add(random.ints(32, 4, 1000).toArray());
                }
                int port = gateways.getFirst().port();
                List<Double> kafka = new ArrayList<>();
                List<Double> http = new ArrayList<>();
                try (var producer = fleet.producer(); var streams = fleet.tailing(Topics.TOKENS, Topics.COMPLETIONS)) {
                    for (int i = 0; i < 20; i++) {   // warm-up, both paths
                        ttftKafka(producer, streams, workload.get(i), maxTokens);
                        ttftHttp(port, workload.get(i), maxTokens);
                    }
                    for (int i = 0; i < singles; i++) {   // interleaved, so both see the same machine
                        kafka.add(ttftKafka(producer, streams, workload.get(i), maxTokens));
                        http.add(ttftHttp(port, workload.get(i), maxTokens));
                    }
                }

                // no traffic: what an instance costs only for being there (its fetch loop)
                double idleSeconds = 10;
                double[] idleBefore = new double[gateways.size()];
                for (int i = 0; i < gateways.size(); i++) {
                    idleBefore[i] = gateways.get(i).cpuSeconds();
                }
                Thread.sleep((long) (idleSeconds * 1000));
                double[] idle = new double[gateways.size()];
                for (int i = 0; i < gateways.size(); i++) {
                    idle[i] = (gateways.get(i).cpuSeconds() - idleBefore[i]) / idleSeconds;
                }
                double[] cpuBefore = new double[gateways.size()];
                for (int i = 0; i < gateways.size(); i++) {
                    cpuBefore[i] = gateways.get(i).cpuSeconds();
                }
                AtomicLong done = new AtomicLong();
                AtomicLong failed = new AtomicLong();
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                long t0 = System.nanoTime();
                List<Thread> threads = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int offset = c;
                    threads.add(Thread.ofVirtual().start(() -> {
                        int n = offset;
                        while (System.nanoTime() < end) {
                            try {
                                ttftHttp(port, workload.get(n++ % workload.size()), maxTokens);
                                done.incrementAndGet();
                            } catch (Exception e) {
                                failed.incrementAndGet();
                            }
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
                double elapsed = (System.nanoTime() - t0) / 1e9;
                double[] cpu = new double[gateways.size()];
                for (int i = 0; i < gateways.size(); i++) {
                    cpu[i] = gateways.get(i).cpuSeconds() - cpuBefore[i];
                }
                double rate = done.get() / elapsed;
                double records = done.get() * (maxTokens + 1.0) / elapsed;   // token events + the completion, about
                StringBuilder out = new StringBuilder();
                out.append("Time to first token, one request at a time (%d each, interleaved; 32-token prompts, %d new tokens, streamed):\n\n"
                        .formatted(singles, maxTokens));
                out.append("| path | TTFT p50 | TTFT p99 |\n|---|---|---|\n");
                out.append("| Kafka (produce → first token event with text) | %.1f ms | %.1f ms |\n".formatted(
                        KafkaVsDirectBenchmark.pct(kafka, 50), KafkaVsDirectBenchmark.pct(kafka, 99)));
                out.append("| HTTP through the gateway (POST → first SSE chunk) | %.1f ms | %.1f ms |\n".formatted(
                        KafkaVsDirectBenchmark.pct(http, 50), KafkaVsDirectBenchmark.pct(http, 99)));
                out.append("| added by the gateway | %+.1f ms | %+.1f ms |\n\n".formatted(
                        KafkaVsDirectBenchmark.pct(http, 50) - KafkaVsDirectBenchmark.pct(kafka, 50),
                        KafkaVsDirectBenchmark.pct(http, 99) - KafkaVsDirectBenchmark.pct(kafka, 99)));
                out.append(("Load: %d clients in a closed loop for %.0f s through gateway-1 (streamed, %d new tokens each), %d gateway"
                        + " instances up: %.1f requests/s answered (%d failed); about %.0f output records/s on the topics"
                        + " every instance reads.\n\n").formatted(clients, elapsed, maxTokens, gateways.size(), rate,
                        failed.get(), records));
                out.append("| gateway instance | role | CPU with no traffic (cores) | CPU under the load (cores) | CPU per request | CPU above idle per 1000 output records |\n|---|---|---|---|---|---|\n");
                for (int i = 0; i < gateways.size(); i++) {
                    double busy = cpu[i] / elapsed;
                    out.append("| gateway-%d | %s | %.3f | %.3f | %.2f ms | %.1f ms |\n".formatted(i + 1,
                            i == 0 ? "serves the load" : "reads and filters only", idle[i], busy,
                            cpu[i] * 1000 / Math.max(1, done.get()), (busy - idle[i]) * 1000 / (records / 1000)));
                }
                return out.toString();
            } finally {
                for (GatewayProcess g : gateways) {
                    g.process().destroy();
                    g.process().waitFor(20, TimeUnit.SECONDS);
                }
            }
        }
    }

    /** A gateway-only process, as the chart runs it (no model, no engine). */
    private static GatewayProcess startGateway(BenchFleet fleet, String name) throws Exception {
        int port;
        try (var socket = new java.net.ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = fleet.dir.resolve(name + ".log");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-cp", System.getProperty("java.class.path"),
                "-Dkafka.bootstrap.servers=" + fleet.bootstrap(), "-Dminitron.model.path=" + fleet.model,
                "-Dminitron.gateway.port=" + port, "-Dminitron.gateway.allow-unauthenticated=true",
                "dev.minitron.worker.gateway.GatewayMain")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + log);
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return new GatewayProcess(p, port, log);
                }
            } catch (java.io.IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException(name + " not ready; see " + log);
    }

    /** Milliseconds from the POST to the first SSE chunk; reads the stream to its end. */
    private static double ttftHttp(int port, int[] tokens, int maxTokens) throws Exception {
        String body = "{\"model\":\"model\",\"prompt\":" + Arrays.toString(tokens).replace(" ", "") + ",\"max_tokens\":"
                + maxTokens + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":true}";
        long t0 = System.nanoTime();
        var response = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        double first = -1;
        try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            if (response.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + response.statusCode());
            }
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data: ") && first < 0) {
                    first = (System.nanoTime() - t0) / 1e6;
                }
                if (line.equals("data: [DONE]")) {
                    break;
                }
            }
        }
        return first;
    }

    /** Milliseconds from the send to the first token event; reads on to the completion. */
    private static double ttftKafka(org.apache.kafka.clients.producer.KafkaProducer<String, String> producer,
            org.apache.kafka.clients.consumer.KafkaConsumer<String, String> streams, int[] tokens, int maxTokens) {
        String id = "kafka-" + System.nanoTime();
        String json = "{\"id\":\"" + id + "\",\"prompt_token_ids\":" + Arrays.toString(tokens).replace(" ", "")
                + ",\"max_tokens\":" + maxTokens + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":true}";
        long t0 = System.nanoTime();
        producer.send(new ProducerRecord<>(Topics.PROMPTS, id, json));
        double first = -1;
        boolean complete = false;
        while (!complete) {
            for (ConsumerRecord<String, String> r : streams.poll(Duration.ofMillis(1))) {
                if (!id.equals(r.key())) {
                    continue;
                }
                // the first token event with text: an SSE chunk carries text, and a token event
                // may carry none while an incomplete character is held back
                if (r.topic().equals(Topics.TOKENS) && first < 0 && !r.value().contains("\"text\":\"\"")) {
                    first = (System.nanoTime() - t0) / 1e6;
                } else if (r.topic().equals(Topics.COMPLETIONS)) {
                    complete = true;
                }
            }
        }
        return first;
    }
}
