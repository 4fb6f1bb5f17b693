package dev.minitron.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;

/** JSON equality as JSON means it: 1 and 1.0 are the same number, key order does not matter. */
public final class JsonTrees {
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private JsonTrees() {}

    public static boolean equal(JsonNode a, JsonNode b) {
        return a.equals(NUMBERS_BY_VALUE, b);
    }
}
