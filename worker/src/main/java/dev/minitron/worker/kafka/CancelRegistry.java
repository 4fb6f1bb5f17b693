package dev.minitron.worker.kafka;

import dev.minitron.worker.config.WorkerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Request ids cancelled recently, so a cancel that arrives before its prompt (still in the backlog,
 * or not yet produced) stops it from starting. Bounded in size and in age.
 */
@ApplicationScoped
public class CancelRegistry {

    private static final int MAX_ENTRIES = 100_000;

    private final long windowMillis;
    private final Map<String, Long> cancelledAt = new LinkedHashMap<>();   // insertion order = age order

    public CancelRegistry(WorkerConfig config) {
        this.windowMillis = config.consumer().cancelWindow().toMillis();
    }

    public synchronized void add(String id, long nowMillis) {
        cancelledAt.remove(id);
        cancelledAt.put(id, nowMillis);
        expire(nowMillis);
        while (cancelledAt.size() > MAX_ENTRIES) {
            cancelledAt.remove(cancelledAt.keySet().iterator().next());
        }
    }

    public synchronized boolean contains(String id, long nowMillis) {
        expire(nowMillis);
        return cancelledAt.containsKey(id);
    }

    private void expire(long nowMillis) {
        var it = cancelledAt.values().iterator();
        while (it.hasNext() && it.next() < nowMillis - windowMillis) {
            it.remove();
        }
    }
}
