package dev.minitron.worker.kafka;

import dev.minitron.schemas.TokenLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * A prompt taken from Kafka and not yet answered. Shared by the poll thread (which may revoke it)
 * and the engine thread (which publishes its outputs); {@code revoked} is the only mutable field.
 *
 * @param stream whether token events are published (the prompt's {@code stream})
 */
public final class InFlight {

    private final TopicPartition partition;
    private final long offset;
    private final String id;
    private final int attempt;
    private final boolean stream;
    private final Map<String, String> metadata;
    private final long recordTimeMillis;
    private final long submittedMillis = System.currentTimeMillis();
    private final List<TokenLogprob> logprobs = new ArrayList<>();   // engine thread only
    private volatile boolean revoked;

    public InFlight(TopicPartition partition, long offset, String id, int attempt, boolean stream,
                    Map<String, String> metadata, long recordTimeMillis) {
        this.partition = partition;
        this.offset = offset;
        this.id = id;
        this.attempt = attempt;
        this.stream = stream;
        this.metadata = metadata;
        this.recordTimeMillis = recordTimeMillis;
    }

    /** Milliseconds between the prompt record's timestamp and its hand-over to the engine (≥ 0). */
    public long millisBeforeEngine() {
        return Math.max(0, submittedMillis - recordTimeMillis);
    }

    /** Logprobs of every generated token, gathered for the completion (engine thread only). */
    public List<TokenLogprob> logprobs() {
        return logprobs;
    }

    public TopicPartition partition() { return partition; }
    public long offset() { return offset; }
    public String id() { return id; }
    public int attempt() { return attempt; }
    public boolean stream() { return stream; }
    public Map<String, String> metadata() { return metadata; }

    /** Whether the partition moved away (rebalance, shutdown): its outputs are dropped, the new owner answers. */
    public boolean revoked() {
        return revoked;
    }

    public void revoke() {
        revoked = true;
    }
}
