package dev.minitron.worker.gateway;

import dev.minitron.schemas.CompletionEvent;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Completions of gateway requests seen lately, by prompt id: a POST retried with the same
 * Idempotency-Key after its answer was written gets this answer instead of a second generation.
 * Bounded by age (the worker's idempotency window) and by count, oldest forgotten first. Every
 * gateway instance keeps every gateway request's completion (it reads them all anyway, see
 * {@link AnswerRouter}), so a retry that lands on another instance finds it too.
 */
final class RecentCompletions {

    private record Kept(CompletionEvent completion, long seenAtMillis) {
    }

    private final long windowMillis;
    private final int maxEntries;
    private final LinkedHashMap<String, Kept> byId = new LinkedHashMap<>();

    RecentCompletions(long windowMillis, int maxEntries) {
        this.windowMillis = windowMillis;
        this.maxEntries = maxEntries;
    }

    /** Keeps the first completion of an id: later ones (a zombie attempt) repeat what the caller may have had. */
    synchronized void put(CompletionEvent completion, long seenAtMillis) {
        byId.putIfAbsent(completion.id(), new Kept(completion, seenAtMillis));
        expire(seenAtMillis);
    }

    synchronized CompletionEvent get(String id, long nowMillis) {
        expire(nowMillis);
        Kept k = byId.get(id);
        return k == null ? null : k.completion();
    }

    synchronized int size() {
        return byId.size();
    }

    private void expire(long nowMillis) {
        Iterator<Map.Entry<String, Kept>> it = byId.entrySet().iterator();
        while (it.hasNext()) {
            Kept k = it.next().getValue();
            if (byId.size() > maxEntries || nowMillis - k.seenAtMillis() > windowMillis) {
                it.remove();
            } else {
                break;
            }
        }
    }
}
