package dev.minitron.worker.kafka;

import dev.minitron.worker.tracing.FirstTokenHops;
import dev.minitron.worker.tracing.RequestTrace;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.TopicPartition;

/**
 * A prompt record taken from Kafka and not yet answered. Shared by the poll thread (which may revoke
 * it) and the engine thread (which publishes its outputs); {@code revoked} is the only field both
 * write.
 *
 * @param id              the prompt's id (the record key of every answer); null for a record too
 *                        broken to have one
 * @param engineRequestId unique per admission ({@code id@partition:offset#n}), so an aborted attempt
 *                        still inside the engine never collides with its redelivery
 * @param generation      the OffsetTracker token of the assignment the record was read in
 */
public final class InFlight {

    private final TopicPartition partition;
    private final long offset;
    private final long generation;
    private final String id;
    private final String engineRequestId;
    private final int attempt;
    private final boolean stream;
    private final Map<String, String> metadata;
    private final long recordTimeMillis;
    private final long submittedMillis = System.currentTimeMillis();
    private final int blocks;
    private final AtomicBoolean begun = new AtomicBoolean();
    private volatile boolean revoked;
    private volatile boolean streamCut;
    private RequestTrace trace = RequestTrace.NONE;   // set on the poll thread before the engine sees the request
    private FirstTokenHops hops;   // only while a flight recording takes them; set before the engine sees the request

    public InFlight(TopicPartition partition, long offset, long generation, String id, String engineRequestId,
                    int attempt, boolean stream, Map<String, String> metadata, long recordTimeMillis, int blocks) {
        this.blocks = blocks;
        this.partition = partition;
        this.offset = offset;
        this.generation = generation;
        this.id = id;
        this.engineRequestId = engineRequestId;
        this.attempt = attempt;
        this.stream = stream;
        this.metadata = metadata;
        this.recordTimeMillis = recordTimeMillis;
    }

    /** A record answered with an error event, never handed to the engine. */
    public static InFlight rejected(TopicPartition partition, long offset, long generation, long recordTimeMillis) {
        return new InFlight(partition, offset, generation, null, null, 0, false, Map.of(), recordTimeMillis, 0);
    }

    /** The engine request id of one admission of the prompt read at this place. */
    public static String engineRequestId(String id, TopicPartition partition, long offset, long admission) {
        return id + "@" + partition + ":" + offset + "#" + admission;
    }

    public TopicPartition partition() { return partition; }
    public long offset() { return offset; }
    public long generation() { return generation; }
    public String id() { return id; }
    public String engineRequestId() { return engineRequestId; }
    public int attempt() { return attempt; }
    public boolean stream() { return stream; }
    public Map<String, String> metadata() { return metadata; }

    /** Milliseconds between the prompt record's timestamp and its hand-over to the engine (≥ 0). */
    public long millisBeforeEngine() {
        return Math.max(0, submittedMillis - recordTimeMillis);
    }

    /** The request's spans; its headers go on every answer. */
    public RequestTrace trace() {
        return trace;
    }

    public void trace(RequestTrace trace) {
        this.trace = trace;
    }

    /** The request's first-token hops for a running flight recording, or null (docs/benchmarks/kafka.md). */
    public FirstTokenHops hops() {
        return hops;
    }

    public void hops(FirstTokenHops hops) {
        this.hops = hops;
    }

    /** KV blocks the prompt needs to start: reserved by admission until its first output. */
    public int blocks() {
        return blocks;
    }

    /** True exactly once: on the request's first output from the engine (any thread). */
    public boolean begin() {
        return begun.compareAndSet(false, true);
    }

    /**
     * A token event of this request was not written (the broker unreachable past {@code max.block.ms},
     * or a send that expired): no further token events are sent, so the stream clients see is a prefix
     * of the text without a gap in {@code seq}; the completion still has the whole text.
     */
    public void cutStream() {
        streamCut = true;
    }

    public boolean streamCut() {
        return streamCut;
    }

    /** Whether the partition moved away (rebalance, shutdown): outputs are dropped, the new owner answers. */
    public boolean revoked() {
        return revoked;
    }

    public void revoke() {
        revoked = true;
    }
}
