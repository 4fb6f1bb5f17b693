package dev.minitron.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.json.WireSchema;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The Java records, the enums and the JSON Schemas describe the same wire format. */
class RecordsMatchSchemasTest {

    static List<WireEvent> typicalEvents() {
        return TypicalEvents.all();
    }

    static Stream<Arguments> recordsAndTheirSchemaObjects() {
        return Stream.of(
                Arguments.of(PromptEvent.class, WireSchema.PROMPT, ""),
                Arguments.of(ResponseFormat.class, WireSchema.PROMPT, "/properties/response_format"),
                Arguments.of(ResponseFormat.JsonSchema.class, WireSchema.PROMPT,
                        "/properties/response_format/properties/json_schema"),
                Arguments.of(StructuredOutputs.class, WireSchema.PROMPT, "/properties/structured_outputs"),
                Arguments.of(TokenEvent.class, WireSchema.TOKEN, ""),
                Arguments.of(TokenLogprob.class, WireSchema.TOKEN, "/$defs/token_logprob"),
                Arguments.of(TokenLogprob.Alternative.class, WireSchema.TOKEN, "/$defs/top_logprob"),
                Arguments.of(CompletionEvent.class, WireSchema.COMPLETION, ""),
                Arguments.of(CompletionEvent.Usage.class, WireSchema.COMPLETION, "/properties/usage"),
                Arguments.of(CompletionEvent.Timing.class, WireSchema.COMPLETION, "/properties/timing"),
                Arguments.of(CompletionEvent.ErrorInfo.class, WireSchema.COMPLETION, "/properties/error"),
                Arguments.of(TokenLogprob.class, WireSchema.COMPLETION, "/$defs/token_logprob"),
                Arguments.of(ErrorEvent.class, WireSchema.ERROR, ""),
                Arguments.of(ErrorEvent.SourceRef.class, WireSchema.ERROR, "/properties/source"),
                Arguments.of(CancelEvent.class, WireSchema.CANCEL, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typicalEvents")
    void typicalRecordsWriteJsonThatTheirSchemaAccepts(WireEvent event) throws Exception {
        JsonNode json = WireJson.reader().readTree(WireJson.writer().writeValueAsBytes(event));

        assertThat(schemaOf(event).validate(json)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("typicalEvents")
    void typicalRecordsReadBackEqual(WireEvent event) throws Exception {
        byte[] json = WireJson.writer().writeValueAsBytes(event);

        assertThat(WireJson.reader().forType(event.getClass()).<WireEvent>readValue(json)).isEqualTo(event);
    }

    @ParameterizedTest(name = "{0} is {1}{2}")
    @MethodSource("recordsAndTheirSchemaObjects")
    void recordComponentsAreTheSchemaProperties(Class<? extends Record> type, WireSchema schema,
            String pointer) {
        JsonNode object = schema.document().at(pointer.isEmpty() ? "" : pointer);
        Set<String> schemaFields = new TreeSet<>();
        object.path("properties").fieldNames().forEachRemaining(schemaFields::add);
        Set<String> recordFields = new TreeSet<>();
        for (RecordComponent component : type.getRecordComponents()) {
            recordFields.add(component.getAccessor().getAnnotation(JsonProperty.class).value());
        }

        assertThat(recordFields).isEqualTo(schemaFields);
    }

    @Test
    void finishReasonsAreTheSchemaEnum() {
        assertThat(enumOf(WireSchema.COMPLETION, "/properties/finish_reason/enum"))
                .containsExactly(Stream.of(FinishReason.values()).map(FinishReason::wireName).toArray(String[]::new));
    }

    @Test
    void errorCodesAreTheSchemaEnumOfBothErrorEventsAndCompletions() {
        String[] codes = Stream.of(ErrorCode.values()).map(ErrorCode::wireName).toArray(String[]::new);

        assertThat(enumOf(WireSchema.ERROR, "/properties/code/enum")).containsExactly(codes);
        assertThat(enumOf(WireSchema.COMPLETION, "/properties/error/properties/code/enum")).containsExactly(codes);
    }

    @Test
    void rawValueEncodingsAreTheSchemaEnum() {
        assertThat(enumOf(WireSchema.ERROR, "/properties/raw_value_encoding/enum")).containsExactly(
                Stream.of(ErrorEvent.RawValueEncoding.values()).map(ErrorEvent.RawValueEncoding::wireName)
                        .toArray(String[]::new));
    }

    @Test
    void promptSchemaDefaultsAreTheSamplingDefaults() {
        JsonNode properties = WireSchema.PROMPT.document().get("properties");

        assertThat(properties.at("/max_tokens/default").asInt()).isEqualTo(PromptEvent.Sampling.DEFAULT_MAX_TOKENS);
        assertThat(properties.at("/temperature/default").asDouble())
                .isEqualTo(PromptEvent.Sampling.DEFAULT_TEMPERATURE);
        assertThat(properties.at("/top_p/default").asDouble()).isEqualTo(PromptEvent.Sampling.DEFAULT_TOP_P);
        assertThat(properties.at("/top_k/default").asInt()).isEqualTo(PromptEvent.Sampling.DEFAULT_TOP_K);
        assertThat(properties.at("/min_p/default").asDouble()).isEqualTo(PromptEvent.Sampling.DEFAULT_MIN_P);
        assertThat(properties.at("/repetition_penalty/default").asDouble())
                .isEqualTo(PromptEvent.Sampling.DEFAULT_REPETITION_PENALTY);
        assertThat(properties.at("/presence_penalty/default").asDouble())
                .isEqualTo(PromptEvent.Sampling.DEFAULT_PRESENCE_PENALTY);
        assertThat(properties.at("/frequency_penalty/default").asDouble())
                .isEqualTo(PromptEvent.Sampling.DEFAULT_FREQUENCY_PENALTY);
        assertThat(properties.at("/ignore_eos/default").asBoolean()).isEqualTo(PromptEvent.Sampling.DEFAULT_IGNORE_EOS);
        assertThat(properties.at("/stream/default").asBoolean()).isTrue();
        assertThat(properties.at("/priority/default").asInt()).isZero();
    }

    @ParameterizedTest
    @EnumSource(WireSchema.class)
    void schemaIsDraft2020WithIdTitleAndDescription(WireSchema schema) {
        JsonNode document = schema.document();

        assertThat(document.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        assertThat(document.get("$id").asText()).endsWith("/v1/" + schema.kind() + ".schema.json");
        assertThat(document.get("title").asText()).isNotBlank();
        assertThat(document.get("description").asText()).isNotBlank();
    }

    @ParameterizedTest
    @EnumSource(WireSchema.class)
    void everyPropertyHasADescription(WireSchema schema) {
        List<String> undescribed = new ArrayList<>();
        collectUndescribed(schema.document(), "", undescribed);

        assertThat(undescribed).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = WireSchema.class, names = {"PROMPT", "CANCEL"})
    void inputSchemasRejectUnknownFields(WireSchema schema) {
        assertThat(schema.document().get("additionalProperties").asBoolean(true)).isFalse();
    }

    private static void collectUndescribed(JsonNode schema, String pointer, List<String> undescribed) {
        for (String container : List.of("properties", "$defs")) {
            schema.path(container).fields().forEachRemaining(entry -> {
                String at = pointer + "/" + container + "/" + entry.getKey();
                if (!entry.getValue().hasNonNull("description")) {
                    undescribed.add(at);
                }
                collectUndescribed(entry.getValue(), at, undescribed);
            });
        }
        if (schema.path("items").isObject() && !schema.path("items").has("$ref")) {
            if (!schema.get("items").hasNonNull("description")) {
                undescribed.add(pointer + "/items");
            }
            collectUndescribed(schema.get("items"), pointer + "/items", undescribed);
        }
    }

    private static List<String> enumOf(WireSchema schema, String pointer) {
        List<String> names = new ArrayList<>();
        schema.document().at(pointer).forEach(name -> names.add(name.asText()));
        return names;
    }

    private static WireSchema schemaOf(WireEvent event) {
        return switch (event) {
            case PromptEvent p -> WireSchema.PROMPT;
            case TokenEvent t -> WireSchema.TOKEN;
            case CompletionEvent c -> WireSchema.COMPLETION;
            case ErrorEvent e -> WireSchema.ERROR;
            case CancelEvent c -> WireSchema.CANCEL;
        };
    }
}
