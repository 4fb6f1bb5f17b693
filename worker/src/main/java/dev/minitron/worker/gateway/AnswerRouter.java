package dev.minitron.worker.gateway;

import com.fasterxml.jackson.databind.ObjectReader;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.TokenEvent;
import dev.minitron.schemas.json.WireJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

/**
 * Brings answers to the gateway instance that holds the caller's connection. Every instance reads
 * every partition of the tokens, completions and errors topics (no consumer group: each must see
 * every record) and keeps the records keyed by an id one of its callers waits for; the others cost
 * it a key comparison (docs/gateway.md measures what that costs as the fleet grows). The worker
 * needs no routing hint, a gateway instance that dies takes only its own connections with it, and
 * a retry may land on any instance.
 *
 * <p>Reads with {@code isolation.level=read_committed}: a worker that writes its answers in a
 * transaction shows the gateway only answers whose transaction committed. Tokens and errors are
 * read from the end (a request registers before its prompt is produced); completions from
 * {@code answer-window} ago, so a restarted instance still knows the answers a retried POST may ask for.
 */
final class AnswerRouter implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(AnswerRouter.class);
    private static final ObjectReader TOKEN = WireJson.reader().forType(TokenEvent.class);
    private static final ObjectReader COMPLETION = WireJson.reader().forType(CompletionEvent.class);
    private static final ObjectReader ERROR = WireJson.reader().forType(ErrorEvent.class);

    private final Map<String, Object> props;
    private final GatewaySettings.Topics topics;
    private final Duration answerWindow;
    private final RecentCompletions recent;
    private final Map<String, List<AnswerListener>> waiting = new ConcurrentHashMap<>();
    private final CountDownLatch positioned = new CountDownLatch(1);
    private final AtomicLong recordsRead = new AtomicLong();
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;

    AnswerRouter(Map<String, Object> kafka, GatewaySettings settings) {
        this.props = new HashMap<>(kafka);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // A parked fetch returns as soon as a record arrives (fetch.min.bytes 1), so the wait only
        // bounds how often an instance asks when nothing comes: its cost with no traffic.
        props.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "minitron-gateway-answers");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        this.topics = settings.topics();
        this.answerWindow = settings.answerWindow();
        this.recent = new RecentCompletions(settings.answerWindow().toMillis(), settings.answerCacheEntries());
        this.thread = Thread.ofPlatform().name("minitron-gateway-answers").daemon().unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** Whether the reader stands at the end of the output topics, so nothing produced from now on is missed. */
    boolean ready() {
        return positioned.getCount() == 0 && thread.isAlive();
    }

    boolean awaitReady(Duration timeout) throws InterruptedException {
        return positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    long recordsRead() {
        return recordsRead.get();
    }

    void register(String id, AnswerListener listener) {
        waiting.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(listener);
    }

    void unregister(String id, AnswerListener listener) {
        waiting.computeIfPresent(id, (k, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    /** Whether some caller on this instance waits for {@code id}. */
    boolean waitingFor(String id) {
        return waiting.containsKey(id);
    }

    /** A completion of {@code id} seen within the answer window, or null. */
    CompletionEvent recentCompletion(String id) {
        return recent.get(id, System.currentTimeMillis());
    }

    private void run() {
        long backoff = 500;
        while (running) {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
                consumer = c;
                position(c);
                positioned.countDown();
                backoff = 500;
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                        recordsRead.incrementAndGet();
                        route(r);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (Exception e) {
                if (!running) {
                    return;
                }
                LOG.warnf("the gateway's answer reader failed (%s); it starts over in %d ms", e.getMessage(), backoff);
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(30_000, backoff * 2);
            }
        }
    }

    /**
     * Assigns every partition of the three topics: tokens and errors from their end, completions
     * from {@code answer-window} ago. After a restart of the reader (a broker outage), requests in
     * flight lose the records written meanwhile only if they were also past the end then.
     */
    private void position(KafkaConsumer<byte[], byte[]> c) throws InterruptedException {
        List<TopicPartition> fromEnd = new ArrayList<>();
        List<TopicPartition> completions = new ArrayList<>();
        for (String topic : List.of(topics.tokens(), topics.errors(), topics.completions())) {
            List<PartitionInfo> parts;
            while ((parts = c.partitionsFor(topic, Duration.ofSeconds(10))) == null || parts.isEmpty()) {
                LOG.warnf("the gateway waits for topic %s to exist", topic);
                Thread.sleep(2_000);
            }
            for (PartitionInfo p : parts) {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                (topic.equals(topics.completions()) ? completions : fromEnd).add(tp);
            }
        }
        List<TopicPartition> all = new ArrayList<>(fromEnd);
        all.addAll(completions);
        c.assign(all);
        c.seekToEnd(fromEnd);
        long since = System.currentTimeMillis() - answerWindow.toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        completions.forEach(tp -> query.put(tp, since));
        Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(query, Duration.ofSeconds(30));
        List<TopicPartition> noneSince = new ArrayList<>();
        for (TopicPartition tp : completions) {
            OffsetAndTimestamp o = found.get(tp);
            if (o == null) {
                noneSince.add(tp);
            } else {
                c.seek(tp, o.offset());
            }
        }
        c.seekToEnd(noneSince);
        all.forEach(tp -> c.position(tp, Duration.ofSeconds(30)));   // resolves the lazy seeks now
    }

    private void route(ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        String id = new String(r.key(), StandardCharsets.UTF_8);
        List<AnswerListener> listeners = waiting.get(id);
        boolean completion = r.topic().equals(topics.completions());
        if (listeners == null && !(completion && id.contains(":cmpl-"))) {
            return;   // another instance's caller, or not a gateway request
        }
        try {
            if (completion) {
                CompletionEvent c = COMPLETION.readValue(r.value());
                recent.put(c, System.currentTimeMillis());
                if (listeners != null) {
                    listeners.forEach(l -> l.onCompletion(c));
                }
            } else if (listeners == null) {
                return;
            } else if (r.topic().equals(topics.tokens())) {
                TokenEvent t = TOKEN.readValue(r.value());
                listeners.forEach(l -> l.onToken(t));
            } else {
                ErrorEvent e = ERROR.readValue(r.value());
                listeners.forEach(l -> l.onError(e));
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("the gateway skipped an unreadable record at %s-%d offset %d: %s", r.topic(), r.partition(),
                    r.offset(), e.getMessage());
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            try {
                c.wakeup();
            } catch (RuntimeException closed) {
                // nothing to wake
            }
        }
        thread.join(5_000);
    }
}
