package dev.minitron.schemas;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The invariants shared by the records' compact constructors. */
final class Checks {
    private Checks() {}

    static String requireId(String id) {
        Objects.requireNonNull(id, "id");
        int length = id.codePointCount(0, id.length());
        if (length < 1 || length > WireEvent.MAX_ID_LENGTH) {
            throw new IllegalArgumentException(
                    "id: must be 1 to " + WireEvent.MAX_ID_LENGTH + " characters long, was " + length);
        }
        return id;
    }

    static int atLeast(int min, int value, String field) {
        if (value < min) {
            throw new IllegalArgumentException(field + ": must be ≥ " + min + ", was " + value);
        }
        return value;
    }

    static long atLeast(long min, long value, String field) {
        if (value < min) {
            throw new IllegalArgumentException(field + ": must be ≥ " + min + ", was " + value);
        }
        return value;
    }

    /** JSON has no NaN or infinity, so a record that holds one could not be written. */
    static Double finite(Double value, String field) {
        if (value != null && !Double.isFinite(value)) {
            throw new IllegalArgumentException(field + ": must be a finite number, was " + value);
        }
        return value;
    }

    static <T> List<T> copyOrNull(List<T> list) {
        return list == null ? null : List.copyOf(list);
    }

    /** An unmodifiable copy that keeps the caller's order, so metadata echoes back as it came. */
    static Map<String, String> copyOrNull(Map<String, String> map) {
        if (map == null) {
            return null;
        }
        map.forEach((key, value) -> {
            Objects.requireNonNull(key, "metadata key");
            Objects.requireNonNull(value, () -> "metadata value of " + key);
        });
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
