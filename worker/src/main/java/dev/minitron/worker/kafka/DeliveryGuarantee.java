package dev.minitron.worker.kafka;

import java.util.Locale;

/** {@code minitron.delivery.guarantee}: what a reader of the output topics may rely on (docs/delivery.md). */
public enum DeliveryGuarantee {
    /** Answers in Kafka transactions with their prompts' offsets: one visible answer per prompt record (read_committed). */
    EXACTLY_ONCE,
    /** Answers acknowledged before offsets are committed: none lost, one may repeat after a crash. */
    AT_LEAST_ONCE;

    /** {@code exactly-once} or {@code at-least-once} (underscores and case are forgiven). */
    public static DeliveryGuarantee parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "exactly-once" -> EXACTLY_ONCE;
            case "at-least-once" -> AT_LEAST_ONCE;
            default -> throw new IllegalArgumentException("minitron.delivery.guarantee must be exactly-once or"
                    + " at-least-once, not '" + value + "'");
        };
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
