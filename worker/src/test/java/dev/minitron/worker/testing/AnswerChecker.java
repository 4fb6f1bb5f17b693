package dev.minitron.worker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.schemas.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An independent judge of the delivery contract (docs/delivery.md, docs/wire-protocol.md), written
 * against the topics only, never against worker code: its own consumer reads the prompts, tokens,
 * completions and errors topics from the beginning, and {@link #verify()} checks that
 * <ul>
 *   <li>every prompt record has a terminal answer: an error event whose {@code source} is that
 *       record, or (for a record with a readable id) a completion keyed by its id — the newest
 *       completion per id counts, as on the compacted topic — and not both;</li>
 *   <li>without redelivery ({@link #expectRedelivery(boolean) false}): exactly one completion per id,
 *       exactly one error event per record, every attempt is 1;</li>
 *   <li>the counting completion carries the highest attempt seen for its id, and its text is the
 *       concatenation of that attempt's token deltas, which run {@code seq} 0..n without gap;
 *       every other attempt's token events also run from 0 without gap or repeat;</li>
 *   <li>an error event names a real prompt record and carries a code, a message and a faithful
 *       prefix of the raw value (at most 1024 bytes; {@code raw_value_truncated} exactly when cut).</li>
 * </ul>
 * {@link #checkCommittedOffsets(String)} checks that a consumer group's committed offsets never
 * pass a prompt record that has no answer yet. Reusable by any test that drives workers.
 */
public final class AnswerChecker implements AutoCloseable {

    /** Where a prompt record lives. */
    public record Source(int partition, long offset) {
    }

    /** A prompt record as produced: raw key and value, the id it names when one can be read, its record timestamp. */
    public record Prompt(Source source, byte[] key, byte[] value, String id, boolean stream, long timestamp) {
    }

    /** A token, completion or error event as read back, with its record timestamp. */
    public record Event(String topic, int partition, long offset, String key, JsonNode value, long timestamp) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String bootstrap;
    private final String promptsTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<Source, Prompt> prompts = new TreeMap<>((a, b) -> a.partition() != b.partition()
            ? Integer.compare(a.partition(), b.partition()) : Long.compare(a.offset(), b.offset()));
    private final Map<String, List<Event>> tokensById = new HashMap<>();
    private final Map<String, List<Event>> completionsById = new HashMap<>();   // in log order per id
    private final Map<Source, List<Event>> errorsBySource = new HashMap<>();
    private final List<String> malformedOutputs = new ArrayList<>();
    private boolean expectRedelivery;
    private boolean exactlyOnce;
    private final List<String> cutStreams = new ArrayList<>();

    public AnswerChecker(String bootstrap) {
        this(bootstrap, Topics.PROMPTS, Topics.TOKENS, Topics.COMPLETIONS, Topics.ERRORS);
    }

    public AnswerChecker(String bootstrap, String prompts, String tokens, String completions, String errors) {
        this(bootstrap, prompts, tokens, completions, errors, false);
    }

    /**
     * @param readCommitted read as a {@code read_committed} client does: only committed transactions'
     *                      records (and every non-transactional one), up to the last stable offset
     */
    public AnswerChecker(String bootstrap, String prompts, String tokens, String completions, String errors,
                         boolean readCommitted) {
        this.bootstrap = bootstrap;
        this.promptsTopic = prompts;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        consumer = new KafkaConsumer<>(p);
        for (String topic : List.of(prompts, tokens, completions, errors)) {
            partitionsOf(topic).forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        tokensTopic = tokens;
        completionsTopic = completions;
        errorsTopic = errors;
    }

    /** A topic created a moment ago may not be in the metadata yet: ask until it is. */
    private List<org.apache.kafka.common.PartitionInfo> partitionsOf(String topic) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            var infos = consumer.partitionsFor(topic);
            if (infos != null && !infos.isEmpty()) {
                return infos;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " has no partitions");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private final String tokensTopic;
    private final String completionsTopic;
    private final String errorsTopic;

    /**
     * Whether a worker may have died or been stopped during the run: then an id may have several
     * completions (the newest counts), an error event may be repeated (with the same code), and
     * attempts above 1 are legal. False (the default) demands each answer exactly once, attempt 1.
     */
    public AnswerChecker expectRedelivery(boolean value) {
        this.expectRedelivery = value;
        return this;
    }

    /**
     * Exactly-once delivery (read with {@code read_committed}): even where workers died, every prompt
     * record has exactly one visible terminal answer — one completion per id, one error event per
     * rejected record — so there is no late write either. Token streams may still show several attempts.
     */
    public AnswerChecker expectExactlyOnce(boolean value) {
        this.exactlyOnce = value;
        return this;
    }

    /** Ids with more than one visible completion. */
    public List<String> duplicateCompletions() {
        return completionsById.entrySet().stream().filter(e -> e.getValue().size() > 1).map(Map.Entry::getKey).toList();
    }

    /** Reads every topic up to its end as of now. */
    public AnswerChecker catchUp() {
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                take(r);
            }
        }
        return this;
    }

    /** Reads until every prompt record has an answer, then returns; fails after {@code timeout}. */
    public AnswerChecker awaitAllAnswered(Duration timeout) throws InterruptedException {
        return awaitUntil(c -> c.unanswered().isEmpty(), timeout);
    }

    /** Reads until {@code done} holds; fails after {@code timeout} saying what is still unanswered. */
    public AnswerChecker awaitUntil(Predicate<AnswerChecker> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            catchUp();
            if (done.test(this)) {
                return this;
            }
            if (System.nanoTime() > deadline) {
                List<Prompt> open = unanswered();
                throw new AssertionError("timed out after " + timeout + ": " + open.size() + " of " + prompts.size()
                        + " prompt records unanswered, e.g. " + open.stream().limit(10).map(AnswerChecker::describe).toList());
            }
            Thread.sleep(100);
        }
    }

    /** Prompt records read so far, in partition and offset order. */
    public List<Prompt> prompts() {
        return List.copyOf(prompts.values());
    }

    /**
     * The completion that counts for each id: the one of the highest attempt (the newest among equals),
     * as the contract tells clients to choose. Without late writes it is also the newest, which
     * compaction keeps.
     */
    public Map<String, JsonNode> finalCompletions() {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        completionsById.forEach((id, list) -> out.put(id, counting(list).value()));
        return out;
    }

    static Event counting(List<Event> completions) {
        Event best = completions.getFirst();
        for (Event e : completions) {
            if (e.value().path("attempt").asInt() >= best.value().path("attempt").asInt()) {
                best = e;
            }
        }
        return best;
    }

    /**
     * Ids whose newest completion is of a lower attempt than an earlier one: a late write from a worker
     * that had been fenced out of the group (paused or cut off past the session timeout) while
     * another finished the prompt again. The contract allows it only where redelivery is expected, and
     * only for a record handed to the producer before the higher attempt began ({@link #verify()}).
     */
    public List<String> lateWrites() {
        List<String> out = new ArrayList<>();
        completionsById.forEach((id, list) -> {
            if (list.getLast() != counting(list)) {
                out.add(id);
            }
        });
        return out;
    }

    /**
     * A late write is a record the fenced worker's producer had <em>before</em> its successor started
     * (delivered late). Its CreateTime (set when it was handed to the producer) at or after the first
     * output of a higher attempt means the fenced worker published after the group had moved on: the
     * publication lease failed. Same machine, same clock.
     */
    private List<String> sentAfterSuccessor(String id, List<Event> completions) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < completions.size(); i++) {
            Event late = completions.get(i);
            int attempt = late.value().path("attempt").asInt();
            long successorStart = java.util.stream.Stream.concat(tokensById.getOrDefault(id, List.of()).stream(),
                            completions.subList(0, i).stream())
                    .filter(e -> e.value().path("attempt").asInt() > attempt)
                    .mapToLong(Event::timestamp).min().orElse(Long.MAX_VALUE);
            if (late.timestamp() >= successorStart) {
                out.add(id + ": a completion of attempt " + attempt + " (" + late.value().path("worker").asText()
                        + ") was handed to its producer " + (late.timestamp() - successorStart)
                        + " ms after a higher attempt had begun: a fenced worker published");
            }
        }
        return out;
    }

    /** Every completion of an id, oldest first. */
    public List<JsonNode> completions(String id) {
        return completionsById.getOrDefault(id, List.of()).stream().map(Event::value).toList();
    }

    /**
     * Ids (found by {@link #verify()}) whose counting attempt's token stream is a gap-free prefix of its
     * completion's text: a token event could not be written during a fault, so the worker stopped
     * streaming that request (docs/delivery.md). Allowed only where faults are expected.
     */
    public List<String> cutStreams() {
        return List.copyOf(cutStreams);
    }

    /** Every completion event of an id, oldest first, with record timestamps. */
    public List<Event> completionEvents(String id) {
        return List.copyOf(completionsById.getOrDefault(id, List.of()));
    }

    /** Every token event of an id, in log order, with record timestamps. */
    public List<Event> tokenEvents(String id) {
        return List.copyOf(tokensById.getOrDefault(id, List.of()));
    }

    /** Every token event of an id, in log order. */
    public List<JsonNode> tokens(String id) {
        return tokensById.getOrDefault(id, List.of()).stream().map(Event::value).toList();
    }

    /** Error events that answer the prompt record at this place. */
    public List<JsonNode> errors(Source source) {
        return errorsBySource.getOrDefault(source, List.of()).stream().map(Event::value).toList();
    }

    /** The highest attempt seen for this id on the tokens and completions topics (0 when none). */
    public int maxAttempt(String id) {
        int max = 0;
        for (Event e : tokensById.getOrDefault(id, List.of())) {
            max = Math.max(max, e.value().path("attempt").asInt());
        }
        for (Event e : completionsById.getOrDefault(id, List.of())) {
            max = Math.max(max, e.value().path("attempt").asInt());
        }
        return max;
    }

    /** Prompt records without any answer yet. */
    public List<Prompt> unanswered() {
        return prompts.values().stream().filter(p -> !answered(p)).toList();
    }

    private boolean answered(Prompt p) {
        return errorsBySource.containsKey(p.source()) || (p.id() != null && completionsById.containsKey(p.id()));
    }

    /** Checks the whole contract over what has been read; throws an AssertionError listing every breach. */
    public AnswerChecker verify() {
        cutStreams.clear();
        List<String> breaches = new ArrayList<>(malformedOutputs);
        Map<String, Integer> recordsAnsweredByCompletion = new HashMap<>();
        for (Prompt p : prompts.values()) {
            List<Event> errors = errorsBySource.getOrDefault(p.source(), List.of());
            boolean byCompletion = p.id() != null && completionsById.containsKey(p.id());
            if (errors.isEmpty() && !byCompletion) {
                breaches.add(describe(p) + ": no answer");
                continue;
            }
            if (!errors.isEmpty()) {
                if (errors.size() > 1 && (exactlyOnce || !expectRedelivery || errors.stream().map(e -> e.value().path("code").asText())
                        .distinct().count() > 1)) {
                    breaches.add(describe(p) + ": " + errors.size() + " error events " + codes(errors));
                }
                breaches.addAll(ErrorEventRules.check(p, errors.getFirst(), promptsTopic, describe(p)));
            } else {
                recordsAnsweredByCompletion.merge(p.id(), 1, Integer::sum);
            }
        }
        for (var e : completionsById.entrySet()) {
            String id = e.getKey();
            List<Event> list = e.getValue();
            if (!recordsAnsweredByCompletion.containsKey(id)) {
                breaches.add("completion for " + id + " answers no prompt record (or its record also got an error event)");
            }
            if (!expectRedelivery && list.size() > 1) {
                breaches.add(id + ": " + list.size() + " completions without any redelivery");
            } else if (exactlyOnce && list.size() > 1) {
                breaches.add(id + ": " + list.size() + " visible completions (attempts "
                        + list.stream().map(c -> c.value().path("attempt").asText()).toList() + ") under exactly-once delivery");
            }
            breaches.addAll(sentAfterSuccessor(id, list));
            Prompt prompt = prompts.values().stream().filter(p -> id.equals(p.id())).reduce((x, y) -> y).orElse(null);
            breaches.addAll(AttemptRules.check(id, list, tokensById.getOrDefault(id, List.of()), maxAttempt(id), prompt, expectRedelivery,
                    cutStreams));
        }
        for (String id : tokensById.keySet()) {
            if (!completionsById.containsKey(id) && !prompts.isEmpty()
                    && prompts.values().stream().noneMatch(p -> id.equals(p.id()))) {
                breaches.add("token events for " + id + ", which no prompt record names");
            }
        }
        if (!breaches.isEmpty()) {
            throw new AssertionError(breaches.size() + " breaches of the delivery contract:\n  "
                    + String.join("\n  ", breaches.subList(0, Math.min(40, breaches.size()))));
        }
        return this;
    }

    /**
     * The group's committed offsets, read first, must not pass a prompt record without an answer:
     * an answer is acknowledged before its offset is committed, so every answer below a committed
     * offset is already in the output topics when this catches up to their end afterwards.
     */
    public AnswerChecker checkCommittedOffsets(String groupId) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
        }
        catchUp();
        List<String> passed = new ArrayList<>();
        for (var e : committed.entrySet()) {
            if (!e.getKey().topic().equals(promptsTopic) || e.getValue() == null) {
                continue;
            }
            int partition = e.getKey().partition();
            long upTo = e.getValue().offset();
            for (Prompt p : prompts.values()) {
                if (p.source().partition() == partition && p.source().offset() < upTo && !answered(p)) {
                    passed.add(describe(p) + " (committed " + upTo + ")");
                }
            }
        }
        if (!passed.isEmpty()) {
            throw new AssertionError("committed offsets passed unanswered prompts: " + passed.subList(0, Math.min(20, passed.size())));
        }
        return this;
    }

    /** Whether the group has committed every prompts partition up to its end. */
    public boolean committedToEnd(String groupId) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            var committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
            List<TopicPartition> promptPartitions = partitions.stream().filter(tp -> tp.topic().equals(promptsTopic)).toList();
            Map<TopicPartition, Long> ends = consumer.endOffsets(promptPartitions);
            return ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                    || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() == e.getValue()));
        }
    }

    /** Waits until the group has committed every prompts partition to its end; fails after {@code timeout}. */
    public AnswerChecker awaitCommittedToEnd(String groupId, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!committedToEnd(groupId)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("group " + groupId + " did not commit to the end of " + promptsTopic + " within " + timeout);
            }
            Thread.sleep(200);
        }
        return this;
    }

    private void take(ConsumerRecord<byte[], byte[]> r) {
        if (r.topic().equals(promptsTopic)) {
            Source s = new Source(r.partition(), r.offset());
            JsonNode v = readJson(r.value());
            String id = v != null && v.path("id").isTextual() ? v.get("id").asText() : null;
            boolean stream = v == null || !v.path("stream").isBoolean() || v.get("stream").asBoolean();
            prompts.put(s, new Prompt(s, r.key(), r.value(), id, stream, r.timestamp()));
            return;
        }
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        JsonNode v = readJson(r.value());
        if (v == null || !v.isObject()) {
            malformedOutputs.add(r.topic() + "-" + r.partition() + "@" + r.offset() + ": not a JSON object");
            return;
        }
        Event e = new Event(r.topic(), r.partition(), r.offset(), key, v, r.timestamp());
        if (r.topic().equals(errorsTopic)) {
            JsonNode src = v.path("source");
            errorsBySource.computeIfAbsent(new Source(src.path("partition").asInt(-1), src.path("offset").asLong(-1)),
                    k -> new ArrayList<>()).add(e);
            return;
        }
        String id = v.path("id").asText(null);
        if (id == null || !id.equals(key)) {
            malformedOutputs.add(r.topic() + "-" + r.partition() + "@" + r.offset() + ": key " + quote(key)
                    + " is not the event's id " + quote(id));
            return;
        }
        if (r.topic().equals(tokensTopic)) {
            tokensById.computeIfAbsent(id, k -> new ArrayList<>()).add(e);
        } else if (r.topic().equals(completionsTopic)) {
            completionsById.computeIfAbsent(id, k -> new ArrayList<>()).add(e);
        }
    }

    private static JsonNode readJson(byte[] value) {
        String text = value == null ? null : utf8(value);
        if (text == null) {
            return null;
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);   // tolerated on prompts
        }
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            return null;
        }
    }

    static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static List<String> codes(List<Event> errors) {
        return errors.stream().map(e -> e.value().path("code").asText()).toList();
    }

    private static String describe(Prompt p) {
        return "prompt " + p.source().partition() + "@" + p.source().offset() + (p.id() == null ? "" : " (" + p.id() + ")");
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "\"";
    }

    @Override
    public void close() {
        consumer.close();
    }
}
