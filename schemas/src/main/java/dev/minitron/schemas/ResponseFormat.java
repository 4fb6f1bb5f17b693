package dev.minitron.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * OpenAI's {@code response_format}: {@code {"type": "text"}} (no constraint),
 * {@code {"type": "json_object"}} (the output is a JSON object) or {@code {"type": "json_schema",
 * "json_schema": {...}}} (the output validates against the schema). Kept exactly as OpenAI names
 * it, so an OpenAI-compatible gateway can pass it through unchanged.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ResponseFormat(
        @JsonProperty("type") String type,
        @JsonProperty("json_schema") JsonSchema jsonSchema) {

    public static final String TEXT = "text";
    public static final String JSON_OBJECT = "json_object";
    public static final String JSON_SCHEMA = "json_schema";

    public ResponseFormat {
        Objects.requireNonNull(type, "response_format.type");
        if (!type.equals(TEXT) && !type.equals(JSON_OBJECT) && !type.equals(JSON_SCHEMA)) {
            throw new IllegalArgumentException("response_format.type: must be text, json_object or json_schema, was "
                    + type);
        }
        if (type.equals(JSON_SCHEMA) != (jsonSchema != null)) {
            throw new IllegalArgumentException("response_format.json_schema: required exactly when type is json_schema");
        }
    }

    public static ResponseFormat jsonObject() {
        return new ResponseFormat(JSON_OBJECT, null);
    }

    public static ResponseFormat jsonSchema(String name, JsonNode schema) {
        return new ResponseFormat(JSON_SCHEMA, new JsonSchema(name, null, schema, true));
    }

    /**
     * OpenAI's {@code json_schema} object.
     *
     * @param strict accepted for compatibility; the output always keeps to the schema exactly
     *     (the fleet never loosens a schema), so false means the same as true
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JsonSchema(
            @JsonProperty("name") String name,
            @JsonProperty("description") String description,
            @JsonProperty("schema") JsonNode schema,
            @JsonProperty("strict") Boolean strict) {

        public JsonSchema {
            Objects.requireNonNull(name, "response_format.json_schema.name");
            Objects.requireNonNull(schema, "response_format.json_schema.schema");
        }
    }
}
