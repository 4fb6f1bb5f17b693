package dev.minitron.schemas.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.path.NodePath;
import dev.minitron.schemas.ErrorCode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns the validator's findings into one error code and a message a producer can act on: each
 * violation names its field and rule ({@code temperature: must be ≤ 2, was 7.5}). The code is
 * that of the most fundamental violation: an unknown field, then a malformed request, then a
 * value out of range.
 */
final class SchemaViolations {
    private static final int MAX_REPORTED = 5;
    private static final int MAX_SHOWN_CHARS = 48;
    private static final Set<String> RANGE_KEYWORDS = Set.of("minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
            "minProperties", "maxProperties", "propertyNames");
    /** Names that other serving APIs use for a v1 field. */
    private static final Map<String, String> ALIASES = Map.of(
            "max_new_tokens", "max_tokens",
            "stop_sequences", "stop");

    record Violation(ErrorCode code, String message) {}

    private SchemaViolations() {}

    /**
     * @param errors not empty
     * @param knownFields the top-level fields of the schema, to suggest for a misspelt one
     */
    static Violation summarize(List<Error> errors, JsonNode instance, Set<String> knownFields) {
        for (Error error : errors) {
            if (error.getKeyword().equals("type") && error.getInstanceLocation().getNameCount() == 0) {
                return new Violation(ErrorCode.INVALID_REQUEST,
                        "the record must be a JSON object, was " + describe(instance));
            }
        }
        List<Violation> violations = errors.stream()
                .filter(error -> !insideCombinator(error))
                .map(error -> new Violation(codeOf(error), explain(error, knownFields)))
                .distinct()
                .sorted(Comparator.comparingInt(violation -> rank(violation.code())))
                .toList();
        String message = violations.stream().limit(MAX_REPORTED).map(Violation::message)
                .collect(Collectors.joining("; "));
        if (violations.size() > MAX_REPORTED) {
            message += "; and " + (violations.size() - MAX_REPORTED) + " more";
        }
        return new Violation(violations.getFirst().code(), message);
    }

    /** A branch of oneOf/anyOf/not failing is reported once, by the combinator itself. */
    private static boolean insideCombinator(Error error) {
        String path = error.getEvaluationPath().toString();
        return path.contains("/oneOf/") || path.contains("/anyOf/") || path.contains("/not/");
    }

    private static ErrorCode codeOf(Error error) {
        String keyword = error.getKeyword();
        if (keyword.equals("additionalProperties")) {
            return ErrorCode.UNKNOWN_FIELD;
        }
        return RANGE_KEYWORDS.contains(keyword) ? ErrorCode.VALUE_OUT_OF_RANGE : ErrorCode.INVALID_REQUEST;
    }

    private static int rank(ErrorCode code) {
        return switch (code) {
            case UNKNOWN_FIELD -> 0;
            case INVALID_REQUEST -> 1;
            default -> 2;
        };
    }

    private static String explain(Error error, Set<String> knownFields) {
        String path = path(error.getInstanceLocation());
        JsonNode limit = error.getSchemaNode();
        JsonNode value = error.getInstanceNode();
        return switch (error.getKeyword()) {
            case "additionalProperties" -> unknownField(path, error.getProperty(), knownFields);
            case "required" -> child(path, error.getProperty()) + ": required";
            case "oneOf" -> oneOf(error, path);
            case "not" -> not(error, path);
            case "type" -> path + ": must be " + expected(limit) + ", was " + describe(value);
            case "minimum" -> path + ": must be ≥ " + limit.asText() + ", was " + show(value);
            case "maximum" -> path + ": must be ≤ " + limit.asText() + ", was " + show(value);
            case "exclusiveMinimum" -> path + ": must be > " + limit.asText() + ", was " + show(value);
            case "exclusiveMaximum" -> path + ": must be < " + limit.asText() + ", was " + show(value);
            case "minLength" -> path + ": must be at least " + characters(limit) + " long, was "
                    + length(value.asText());
            case "maxLength" -> path + ": must be at most " + characters(limit) + " long, was "
                    + length(value.asText());
            case "minItems" -> path + ": must have at least " + limit.asText() + " items, had " + value.size();
            case "maxItems" -> path + ": must have at most " + limit.asText() + " items, had " + value.size();
            case "minProperties" -> path + ": must have at least " + limit.asText() + " entries, had " + value.size();
            case "maxProperties" -> path + ": must have at most " + limit.asText() + " entries, had " + value.size();
            case "propertyNames" -> keyName(path, error.getProperty(), limit);
            case "format" -> path + ": must be " + format(limit.asText()) + ", was " + show(value);
            default -> generic(error, path);
        };
    }

    private static String unknownField(String path, String name, Set<String> knownFields) {
        String message = child(path, shorten(name)) + ": unknown field";
        String suggestion = path.isEmpty() ? suggest(name, knownFields) : null;
        return suggestion == null ? message : message + "; did you mean " + suggestion + "?";
    }

    /** The known field within one edit of a short name or two of a longer one, if any. */
    private static String suggest(String name, Set<String> knownFields) {
        if (ALIASES.containsKey(name)) {
            return ALIASES.get(name);
        }
        String best = null;
        int bestDistance = name.length() <= 3 ? 1 : name.length() <= 5 ? 2 : 3;
        for (String known : knownFields) {
            int distance = EditDistance.between(name, known, bestDistance);
            if (distance < bestDistance) {
                best = known;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** v1's one oneOf is "exactly one of prompt and prompt_token_ids": say it that way. */
    private static String oneOf(Error error, String path) {
        List<String> fields = requiredFields(error.getSchemaNode());
        if (fields.size() != error.getSchemaNode().size()) {
            return generic(error, path);
        }
        long present = fields.stream().filter(error.getInstanceNode()::has).count();
        return present == 0
                ? child(path, fields.getFirst()) + ": required (or "
                        + String.join(" or ", fields.subList(1, fields.size())) + ")"
                : String.join(", ", fields) + ": give exactly one of them, not "
                        + (present == 2 ? "both" : "several");
    }

    /** {@code not: {required: [a, b]}} is how v1 says "at most one of a and b". */
    private static String not(Error error, String path) {
        List<String> fields = requiredFields(error.getSchemaNode());
        return fields.size() < 2
                ? generic(error, path)
                : String.join(", ", fields) + ": give at most one of them, not "
                        + (fields.size() == 2 ? "both" : "all");
    }

    /** The required field names of one schema, or of each branch of an array of schemas. */
    private static List<String> requiredFields(JsonNode schemas) {
        List<String> fields = new ArrayList<>();
        for (JsonNode schema : schemas.isArray() ? schemas : List.of(schemas)) {
            schema.path("required").forEach(name -> fields.add(name.asText()));
        }
        return fields;
    }

    private static String generic(Error error, String path) {
        return (path.isEmpty() ? "" : path + ": ") + error.getMessage();
    }

    private static String keyName(String path, String key, JsonNode rules) {
        int length = length(key);
        String rule = length < rules.path("minLength").asInt(0)
                ? "must be at least " + characters(rules.get("minLength")) + " long"
                : length > rules.path("maxLength").asInt(Integer.MAX_VALUE)
                        ? "must be at most " + characters(rules.get("maxLength")) + " long, was " + length
                        : "is not allowed";
        return path + ": key " + quote(key) + " " + rule;
    }

    private static String format(String format) {
        return format.equals("date-time")
                ? "an RFC 3339 date-time such as 2026-01-01T12:00:00Z"
                : "a valid " + format;
    }

    private static String expected(JsonNode types) {
        if (!types.isArray()) {
            return withArticle(types.asText());
        }
        List<String> names = new ArrayList<>();
        types.forEach(type -> names.add(withArticle(type.asText())));
        return String.join(" or ", names);
    }

    private static String withArticle(String type) {
        return switch (type) {
            case "null" -> "null";
            case "integer", "object", "array" -> "an " + type;
            default -> "a " + type;
        };
    }

    /** The JSON type of a value, and the value itself when it is short. */
    static String describe(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "a string (" + show(value) + ")";
            case NUMBER -> (value.isIntegralNumber() ? "an integer (" : "a number (") + show(value) + ")";
            case BOOLEAN -> "a boolean (" + value.asText() + ")";
            case NULL -> "null";
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            default -> value.getNodeType().name().toLowerCase();
        };
    }

    private static String show(JsonNode value) {
        return value.isTextual() ? quote(value.textValue()) : shorten(value.asText());
    }

    private static String quote(String text) {
        return "\"" + shorten(text) + "\"";
    }

    private static String shorten(String text) {
        return Unicode.shorten(text, MAX_SHOWN_CHARS);
    }

    private static String characters(JsonNode count) {
        return count.asInt() == 1 ? "1 character" : count.asText() + " characters";
    }

    private static int length(String text) {
        return text.codePointCount(0, text.length());
    }

    /** A JSON Pointer as a producer would write the field: {@code stop[1]}, {@code metadata.k}. */
    static String path(NodePath location) {
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                path.append('[').append(index).append(']');
            } else {
                path.append(path.isEmpty() ? "" : ".").append(shorten(String.valueOf(element)));
            }
        }
        return path.toString();
    }

    private static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }
}
