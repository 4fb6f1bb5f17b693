package dev.minitron.worker.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the status store: folds each update into its id's entry ({@link StatusFold}), meters
 * each id once, and sweeps old entries. It reads the four input topics from one source and is their aggregate, written with
 * the Processor API instead of {@code groupByKey().aggregate()} because a DSL table cannot delete
 * its own rows on a timer.
 *
 * <p><b>Metering</b>: an id is counted in usage once, at its first completion, and only when its
 * prompt (which names the tenant) has been seen too; whichever of the two comes second triggers
 * it. The contribution is forwarded, keyed by tenant, with the completion's timestamp, so it lands
 * in the window of the completion. A redelivered request's later completions update the status
 * but are not counted again.
 *
 * <p><b>Retention</b>: every {@code cleanupInterval} of wall-clock time, answered entries whose
 * last update is older than {@code doneRetention}, and unanswered ones older than
 * {@code staleRetention}, are deleted (a tombstone goes to the changelog).
 */
final class StatusProcessor implements Processor<String, byte[], String, TenantUsage> {

    /** Deletions per sweep, so one sweep never holds a huge list or stalls the thread for long. */
    static final int MAX_DELETES_PER_SWEEP = 10_000;

    /** Entries kept as objects besides the store: about the requests running on this task's partitions. */
    static final int RECENT_ENTRIES = 4_096;

    private final TopologySettings settings;
    private ProcessorContext<String, TenantUsage> context;
    private KeyValueStore<String, RequestStatus> store;
    /**
     * The latest entries this processor wrote, so that the token events of a running request (one per
     * step) do not read their entry back from the store and parse it each time: the processor is its
     * store's only writer, so what it wrote last is what the store holds. Least recently used first.
     */
    private final Map<String, RequestStatus> recent = new LinkedHashMap<>(RECENT_ENTRIES * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RequestStatus> eldest) {
            return size() > RECENT_ENTRIES;
        }
    };

    StatusProcessor(TopologySettings settings) {
        this.settings = settings;
    }

    @Override
    public void init(ProcessorContext<String, TenantUsage> context) {
        this.context = context;
        this.store = context.getStateStore(StatusTopology.STATUS_STORE);
        context.schedule(settings.cleanupInterval(), PunctuationType.WALL_CLOCK_TIME, this::sweep);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String id = record.key();
        if (id == null || id.isEmpty()) {
            return;
        }
        StatusUpdate update = read(context.recordMetadata().map(RecordMetadata::topic).orElse(""), record.value());
        if (update == null) {
            return;
        }
        RequestStatus current = recent.get(id);
        if (current == null) {
            current = store.get(id);
        }
        RequestStatus next = StatusFold.apply(current, id, update, record.timestamp());
        if (!next.metered() && next.promptSeen() && next.completedMs() != null) {
            next = next.asMetered();
            String tenant = next.tenant() != null ? next.tenant() : settings.defaultTenant();
            TenantUsage usage = new TenantUsage(orZero(next.promptTokens()), orZero(next.completionTokens()), 1);
            context.forward(new Record<>(tenant, usage, next.completedMs()));
        }
        if (next != current) {
            store.put(id, next);
        }
        recent.put(id, next);
    }

    /** The update a record of one of the four input topics carries; null when it is unreadable. */
    private StatusUpdate read(String topic, byte[] value) {
        if (topic.equals(settings.tokensTopic())) {
            return StatusUpdates.tokens(topic, value);
        } else if (topic.equals(settings.promptsTopic())) {
            return StatusUpdates.prompt(value);
        } else if (topic.equals(settings.completionsTopic())) {
            return StatusUpdates.completion(topic, value);
        } else if (topic.equals(settings.errorsTopic())) {
            return StatusUpdates.error(topic, value);
        }
        return null;
    }

    void sweep(long nowMs) {
        long doneBefore = nowMs - settings.doneRetention().toMillis();
        long staleBefore = nowMs - settings.staleRetention().toMillis();
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, RequestStatus> all = store.all()) {
            while (all.hasNext() && expired.size() < MAX_DELETES_PER_SWEEP) {
                KeyValue<String, RequestStatus> entry = all.next();
                RequestStatus s = entry.value;
                long before = s.status().terminal() ? doneBefore : staleBefore;
                if (s.updatedMs() < before) {
                    expired.add(entry.key);
                }
            }
        }
        expired.forEach(id -> {
            recent.remove(id);
            store.delete(id);
        });
    }

    private static long orZero(Integer n) {
        return n == null ? 0 : n;
    }
}
