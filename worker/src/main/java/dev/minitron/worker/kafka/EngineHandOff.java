package dev.minitron.worker.kafka;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.LlmEngine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.kafka.common.TopicPartition;

/**
 * Accepted prompts on their way into the engine: the batch waiting for its journal commit, the ones
 * the engine's inbox refused (tried again first, and no new prompt is taken meanwhile), and the KV
 * blocks reserved by prompts handed over but not yet started ({@link EngineCapacity}). Poll thread
 * only, but for {@link #release}, which the engine thread calls on a request's first output.
 */
final class EngineHandOff {

    /** An accepted prompt between its admission and its hand-over to the engine. */
    record Start(InFlight request, EngineRequest engineRequest) {
    }

    private final LlmEngine engine;
    private final EngineCapacity capacity;
    private final AtomicInteger notStarted = new AtomicInteger();
    private final AtomicLong reservedBlocks = new AtomicLong();
    private final List<Start> queued = new ArrayList<>();
    private final ArrayDeque<Start> refused = new ArrayDeque<>();

    EngineHandOff(LlmEngine engine, EngineCapacity capacity) {
        this.engine = engine;
        this.capacity = capacity;
    }

    /** KV blocks a prompt of this many tokens needs to start. */
    int blocksFor(int promptTokens) {
        return capacity.blocksFor(promptTokens);
    }

    /** Whether the engine can hold one more prompt needing {@code blocks} KV blocks now. */
    boolean admits(int blocks) {
        return capacity.admits(engine.stats(), notStarted.get(), reservedBlocks.get(), blocks);
    }

    /** Queues an accepted prompt for the next {@link #startQueued}; its KV blocks are reserved from now. */
    void queue(InFlight request, EngineRequest engineRequest) {
        notStarted.incrementAndGet();
        reservedBlocks.addAndGet(request.blocks());
        queued.add(new Start(request, engineRequest));
    }

    boolean hasQueued() {
        return !queued.isEmpty();
    }

    /** The engine refused a hand-over lately: take nothing new until it has them. */
    boolean hasRefused() {
        return !refused.isEmpty();
    }

    int queuedCount() {
        return queued.size();
    }

    /** The partitions of the queued prompts: their journals must be committed before they start. */
    Set<TopicPartition> queuedPartitions() {
        Set<TopicPartition> out = new HashSet<>();
        queued.forEach(s -> out.add(s.request().partition()));
        return out;
    }

    /** Hands refused prompts over again, oldest first; {@code start} returns false when refused again. */
    void retryRefused(Predicate<Start> start) {
        List<Start> again = List.copyOf(refused);
        refused.clear();
        for (Start s : again) {
            if (!start.test(s)) {
                refused.add(s);
            }
        }
    }

    /** Hands the queued prompts over (their journal is committed). */
    void startQueued(Predicate<Start> start) {
        for (Start s : queued) {
            if (!start.test(s)) {
                refused.add(s);
            }
        }
        queued.clear();
    }

    /** The request started (or will never start here): its KV reservation ends. Once per request; any thread. */
    void release(InFlight request) {
        if (request.begin()) {
            notStarted.decrementAndGet();
            reservedBlocks.addAndGet(-request.blocks());
        }
    }

    /** Drops the revoked prompts that never reached the engine; returns them. */
    List<InFlight> dropRevoked() {
        List<InFlight> dropped = new ArrayList<>();
        Predicate<Start> revoked = s -> {
            if (s.request().revoked()) {
                release(s.request());
                dropped.add(s.request());
                return true;
            }
            return false;
        };
        refused.removeIf(revoked);
        queued.removeIf(revoked);
        return dropped;
    }

    /** Every prompt not yet in the engine (shutdown): revoked, released and returned. */
    List<InFlight> giveBackAll() {
        List<InFlight> out = new ArrayList<>();
        for (Start s : refused) {
            out.add(s.request());
        }
        for (Start s : queued) {
            out.add(s.request());
        }
        refused.clear();
        queued.clear();
        for (InFlight r : out) {
            r.revoke();
            release(r);
        }
        return out;
    }
}
