package dev.minitron.engine.structured;

import java.util.List;
import java.util.Objects;

/**
 * What a request's output must look like; vLLM's {@code StructuredOutputsParams}. Exactly one of
 * the forms is set. OpenAI's {@code response_format} maps onto it: {@code json_schema} to
 * {@link #json}, {@code json_object} to {@link #jsonObject}.
 *
 * @param json       a JSON Schema, as JSON text
 * @param regex      the whole output matches it (java.util.regex {@code matches()})
 * @param choice     the output is exactly one of these strings
 * @param grammar    a GBNF grammar whose {@code root} rule the output matches
 * @param jsonObject the output is a JSON object
 */
public record StructuredOutputsParams(String json, String regex, List<String> choice, String grammar,
                                      boolean jsonObject) {

    public StructuredOutputsParams {
        choice = choice == null ? null : List.copyOf(choice);
        int set = (json != null ? 1 : 0) + (regex != null ? 1 : 0) + (choice != null ? 1 : 0)
                + (grammar != null ? 1 : 0) + (jsonObject ? 1 : 0);
        if (set != 1) {
            throw new IllegalArgumentException("structured_outputs: give exactly one of json, regex, choice, grammar"
                    + " and json_object, not " + (set == 0 ? "none" : set));
        }
        if (choice != null && choice.isEmpty()) {
            throw new IllegalArgumentException("structured_outputs.choice: must hold at least one string");
        }
    }

    public static StructuredOutputsParams json(String schema) {
        return new StructuredOutputsParams(Objects.requireNonNull(schema), null, null, null, false);
    }

    public static StructuredOutputsParams regex(String regex) {
        return new StructuredOutputsParams(null, Objects.requireNonNull(regex), null, null, false);
    }

    public static StructuredOutputsParams choice(List<String> choice) {
        return new StructuredOutputsParams(null, null, Objects.requireNonNull(choice), null, false);
    }

    public static StructuredOutputsParams grammar(String grammar) {
        return new StructuredOutputsParams(null, null, null, Objects.requireNonNull(grammar), false);
    }

    public static StructuredOutputsParams anyJsonObject() {
        return new StructuredOutputsParams(null, null, null, null, true);
    }

    /** The kind for logs and metrics: never the schema or pattern itself. */
    public String kind() {
        return json != null ? "json" : regex != null ? "regex" : choice != null ? "choice"
                : grammar != null ? "grammar" : "json_object";
    }
}
