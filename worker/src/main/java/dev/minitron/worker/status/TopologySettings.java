package dev.minitron.worker.status;

import dev.minitron.schemas.Topics;
import java.time.Duration;
import java.util.Objects;

/**
 * What the status topology is built from: the topic names, the store kind and the retention
 * and window rules. Separate from the Quarkus configuration so tests build topologies directly.
 *
 * @param persistentStores RocksDB stores (restored from local disk on restart) or in-memory ones
 *     (restored from their changelog topics every time)
 * @param doneRetention how long an answered request stays in the status store after its last update
 * @param staleRetention how long an unanswered one stays (a request whose answer never comes)
 * @param cleanupInterval how often (wall-clock) the store is swept
 * @param usageRetention how long usage windows stay queryable
 * @param defaultTenant the tenant usage is metered to when a prompt names none
 */
public record TopologySettings(
        String promptsTopic,
        String tokensTopic,
        String completionsTopic,
        String errorsTopic,
        String usageTopic,
        boolean persistentStores,
        Duration doneRetention,
        Duration staleRetention,
        Duration cleanupInterval,
        Duration usageWindow,
        Duration usageGrace,
        Duration usageRetention,
        String defaultTenant) {

    public TopologySettings {
        Objects.requireNonNull(promptsTopic, "promptsTopic");
        Objects.requireNonNull(tokensTopic, "tokensTopic");
        Objects.requireNonNull(completionsTopic, "completionsTopic");
        Objects.requireNonNull(errorsTopic, "errorsTopic");
        Objects.requireNonNull(usageTopic, "usageTopic");
        Objects.requireNonNull(defaultTenant, "defaultTenant");
        requirePositive(doneRetention, "done retention");
        requirePositive(staleRetention, "stale retention");
        requirePositive(cleanupInterval, "cleanup interval");
        requirePositive(usageWindow, "usage window");
        if (usageGrace.isNegative()) {
            throw new IllegalArgumentException("usage grace must not be negative: " + usageGrace);
        }
        if (usageRetention.compareTo(usageWindow.plus(usageGrace)) < 0) {
            throw new IllegalArgumentException("usage retention (" + usageRetention
                    + ") must be at least the window plus its grace (" + usageWindow.plus(usageGrace) + ")");
        }
    }

    /** The defaults of {@code minitron.status.*} on the contract's default topics. */
    public static TopologySettings defaults() {
        return new TopologySettings(Topics.PROMPTS, Topics.TOKENS, Topics.COMPLETIONS, Topics.ERRORS,
                StatusTopology.USAGE_TOPIC, true, Duration.ofHours(24), Duration.ofDays(7), Duration.ofMinutes(1),
                Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofDays(7), "default");
    }

    private static void requirePositive(Duration d, String what) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
    }
}
