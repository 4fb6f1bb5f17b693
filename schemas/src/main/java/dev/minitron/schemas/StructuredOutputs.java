package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * vLLM's {@code structured_outputs} (since v0.12): exactly one of {@code json} (a JSON Schema, as an
 * object or as JSON text), {@code regex} (the whole output matches it), {@code choice} (the output
 * is one of the strings), {@code grammar} (GBNF, llama.cpp's EBNF dialect, start rule {@code root})
 * or {@code json_object: true}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StructuredOutputs(
        @JsonProperty("json") JsonNode json,
        @JsonProperty("regex") String regex,
        @JsonProperty("choice") List<String> choice,
        @JsonProperty("grammar") String grammar,
        @JsonProperty("json_object") Boolean jsonObject) {

    public StructuredOutputs {
        choice = Checks.copyOrNull(choice);
        int set = (json != null ? 1 : 0) + (regex != null ? 1 : 0) + (choice != null ? 1 : 0)
                + (grammar != null ? 1 : 0) + (Boolean.TRUE.equals(jsonObject) ? 1 : 0);
        if (set != 1) {
            throw new IllegalArgumentException("structured_outputs: give exactly one of json, regex, choice, grammar"
                    + " and json_object: true, not " + (set == 0 ? "none" : set));
        }
    }

    public static StructuredOutputs ofRegex(String regex) {
        return new StructuredOutputs(null, regex, null, null, null);
    }

    public static StructuredOutputs ofChoice(List<String> choice) {
        return new StructuredOutputs(null, null, choice, null, null);
    }

    public static StructuredOutputs ofGrammar(String grammar) {
        return new StructuredOutputs(null, null, null, grammar, null);
    }

    public static StructuredOutputs ofJson(JsonNode schema) {
        return new StructuredOutputs(schema, null, null, null, null);
    }

    /** The schema's JSON text when {@code json} is set: given as text, or written from the object. */
    public String jsonText() {
        return json == null ? null : json.isTextual() ? json.textValue() : json.toString();
    }
}
