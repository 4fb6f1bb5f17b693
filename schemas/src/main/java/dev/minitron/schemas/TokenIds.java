package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/**
 * An immutable list of token ids on a primitive array, written as a JSON array of integers.
 * Records that hold one get value equality, which a bare {@code int[]} component would not give.
 */
public final class TokenIds {
    private final int[] ids;

    private TokenIds(int[] ids) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException("token ids must be ≥ 0, was " + ids[i] + " at " + i);
            }
        }
        this.ids = ids;
    }

    public static TokenIds of(int... ids) {
        return new TokenIds(ids.clone());
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static TokenIds fromJson(int[] ids) {
        return new TokenIds(ids);
    }

    public int size() {
        return ids.length;
    }

    public boolean isEmpty() {
        return ids.length == 0;
    }

    public int get(int index) {
        return ids[index];
    }

    /** A copy; the list itself never changes. */
    @JsonValue
    public int[] toArray() {
        return ids.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenIds that && Arrays.equals(ids, that.ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return Arrays.toString(ids);
    }
}
