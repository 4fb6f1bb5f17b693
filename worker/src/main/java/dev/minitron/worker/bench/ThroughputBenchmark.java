package dev.minitron.worker.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * End-to-end throughput through Kafka against running workers: sends a burst of greedy prompts
 * that each generate exactly {@code --max-tokens} tokens, waits for every completion, and reports
 * generated tokens per second, time to first token and end-to-end latency as the clients saw them.
 * Writes a Markdown report when {@code --out} is given.
 *
 * <pre>java -cp … dev.minitron.worker.bench.ThroughputBenchmark --prompts 64 --max-tokens 64 --out docs/benchmarks/x.md</pre>
 */
public final class ThroughputBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        String bootstrap = opts.getOrDefault("bootstrap", "localhost:9092");
        int prompts = Integer.parseInt(opts.getOrDefault("prompts", "64"));
        int maxTokens = Integer.parseInt(opts.getOrDefault("max-tokens", "64"));
        String label = opts.getOrDefault("label", "tiny random-weight model, CPU backend");
        Duration timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout-seconds", "600")));

        String run = UUID.randomUUID().toString().substring(0, 8);
        try (var consumer = consumer(bootstrap); var producer = producer(bootstrap)) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor("minitron.completions").forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);   // make the seek take effect before producing

            long start = System.nanoTime();
            for (int i = 0; i < prompts; i++) {
                String id = "bench-" + run + "-" + i;
                String value = "{\"id\":\"%s\",\"prompt\":\"Benchmark prompt number %d tells a story about\",\"max_tokens\":%d,\"temperature\":0,\"ignore_eos\":true,\"stream\":true}"
                        .formatted(id, i, maxTokens);
                producer.send(new ProducerRecord<>("minitron.prompts", id, value));
            }
            producer.flush();

            List<JsonNode> completions = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (completions.size() < prompts && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.key().startsWith("bench-" + run + "-")) {
                        completions.add(JSON.readTree(r.value()));
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            report(opts.get("out"), label, prompts, maxTokens, completions, seconds);
        }
    }

    private static void report(String out, String label, int prompts, int maxTokens, List<JsonNode> completions,
                               double seconds) throws IOException {
        long tokens = 0;
        List<Long> ttft = new ArrayList<>();
        List<Long> e2e = new ArrayList<>();
        for (JsonNode c : completions) {
            tokens += c.get("usage").get("completion_tokens").asLong();
            if (c.get("timing").hasNonNull("ttft_ms")) {
                ttft.add(c.get("timing").get("ttft_ms").asLong());
            }
            e2e.add(c.get("timing").get("duration_ms").asLong());
        }
        String text = """
                ## %s — %s

                | measure | value |
                |---|---|
                | prompts sent / completions received | %d / %d |
                | max_tokens (greedy, ignore_eos) | %d |
                | generated tokens | %d |
                | wall time, first send to last completion | %.2f s |
                | **generated tokens/s through Kafka** | **%.1f** |
                | TTFT p50 / p99 | %d / %d ms |
                | end-to-end p50 / p99 | %d / %d ms |
                | machine | %d cores, Java %s, %s |
                """.formatted(Instant.now().toString().substring(0, 19) + "Z", label, prompts, completions.size(),
                maxTokens, tokens, seconds, tokens / seconds, pct(ttft, 50), pct(ttft, 99), pct(e2e, 50), pct(e2e, 99),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        System.out.println(text);
        if (out != null) {
            Path path = Path.of(out);
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Files.writeString(path, text + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        if (completions.size() < prompts) {
            System.err.println("only " + completions.size() + " of " + prompts + " completions arrived in time");
            System.exit(1);
        }
    }

    private static long pct(List<Long> values, int p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(p);
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        return opts;
    }

    private ThroughputBenchmark() {
    }
}
