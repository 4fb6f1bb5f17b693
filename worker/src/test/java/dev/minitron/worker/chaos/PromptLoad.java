package dev.minitron.worker.chaos;

import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A steady stream of prompt records at a fixed rate, from the test's own producer (on the broker's
 * unfaulted listener): greedy prompts from a fixed catalog, short ones and long ones (a few hundred
 * tokens, so that a worker's small KV cache fills and requests are preempted), one in ten with
 * {@code stream: false}, and one in fifty not a request at all (malformed JSON, answered by an error
 * event). Every prompt text carries a marker that must never show up in a log, span or metric.
 */
final class PromptLoad implements AutoCloseable {

    /** The marker every prompt text starts with; a log scan looks for it. */
    static final String MARKER = "Kestrel-7Q";

    private final List<Greedy> catalog;
    private final String topic;
    private final double rate;
    private final SplittableRandom random;
    private final String runId;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Map<String, Greedy> sent = new ConcurrentHashMap<>();
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong sendFailures = new AtomicLong();
    private volatile boolean running = true;
    private Thread thread;

    PromptLoad(String bootstrap, String topic, List<Greedy> catalog, double rate, long seed) {
        this.catalog = catalog;
        this.topic = topic;
        this.rate = rate;
        this.random = new SplittableRandom(seed);
        this.runId = Long.toString(seed, 36);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);   // rides out broker restarts
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    /**
     * The catalog: {@code shortCount} short prompts and {@code longCount} long ones, each at most
     * {@code maxPromptTokens} tokens by this tokenizer, with 8 to 40 generated tokens.
     */
    static List<Greedy> catalog(Tokenizer tokenizer, int shortCount, int longCount, int maxPromptTokens, long seed) {
        var random = new SplittableRandom(seed);
        String[] words = ("river stone lantern orbit copper meadow signal harbor quiet engine velvet summit "
                + "thunder ledger pocket violet canyon ember glacier whisper").split(" ");
        List<Greedy> out = new ArrayList<>();
        for (int i = 0; i < shortCount + longCount; i++) {
            StringBuilder text = new StringBuilder(MARKER).append(" prompt ").append(i).append(':');
            int wordsWanted = i < shortCount ? 3 + random.nextInt(12) : 150 + random.nextInt(100);
            for (int w = 0; w < wordsWanted; w++) {
                text.append(' ').append(words[random.nextInt(words.length)]);
            }
            String prompt = text.toString();
            while (tokenizer.encode(prompt).length > maxPromptTokens) {
                prompt = prompt.substring(0, prompt.lastIndexOf(' '));
            }
            out.add(new Greedy(prompt, 8 + random.nextInt(33)));
        }
        return out;
    }

    void start() {
        thread = Thread.ofPlatform().name("chaos-load").daemon(true).start(this::run);
    }

    private void run() {
        long periodNanos = (long) (1e9 / rate);
        long next = System.nanoTime();
        long n = 0;
        while (running) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
            next += periodNanos;
            String id = "chaos-" + runId + "-" + n++;
            byte[] key = id.getBytes(StandardCharsets.UTF_8);
            String value;
            if (random.nextInt(50) == 0) {
                value = "{\"id\":\"" + id + "\",\"prompt\":\"" + MARKER + " unterminated";
                malformed.incrementAndGet();
            } else {
                Greedy g = catalog.get(random.nextInt(catalog.size()));
                boolean stream = random.nextInt(10) != 0;
                value = "{\"id\":\"%s\",\"prompt\":\"%s\",\"max_tokens\":%d,\"temperature\":0,\"ignore_eos\":true,\"stream\":%s}"
                        .formatted(id, g.prompt(), g.maxTokens(), stream);
                sent.put(id, g);
            }
            records.incrementAndGet();
            producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8)), (md, e) -> {
                if (e != null) {
                    sendFailures.incrementAndGet();
                }
            });
        }
    }

    /** Which catalog prompt each produced request id carries. */
    Map<String, Greedy> sent() {
        return sent;
    }

    long records() {
        return records.get();
    }

    long malformed() {
        return malformed.get();
    }

    long sendFailures() {
        return sendFailures.get();
    }

    /** Stops producing and flushes what was sent. */
    void stop() throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join();   // at most one period: the loop checks running after each sleep
        }
        producer.flush();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
        producer.close();
    }
}
