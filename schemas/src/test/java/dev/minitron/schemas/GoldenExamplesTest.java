package dev.minitron.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.Examples.Example;
import dev.minitron.schemas.decode.InvalidPromptException;
import dev.minitron.schemas.decode.PromptDecoder;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.json.WireSchema;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class GoldenExamplesTest {

    static List<Example> examples() {
        return Examples.all();
    }

    static List<Example> promptExamples() {
        return Examples.of(WireSchema.PROMPT);
    }

    static List<Example> decodableErrorExamples() {
        Set<ErrorCode> fromDecoder = EnumSet.of(ErrorCode.INVALID_JSON, ErrorCode.INVALID_REQUEST,
                ErrorCode.UNKNOWN_FIELD, ErrorCode.VALUE_OUT_OF_RANGE);
        return Examples.of(WireSchema.ERROR).stream()
                .filter(example -> fromDecoder.contains(ErrorCode.fromWireName(example.tree().get("code").asText())))
                .filter(example -> !example.tree().get("raw_value_truncated").asBoolean())
                .toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void validatesAgainstItsSchema(Example example) {
        assertThat(example.schema().validate(example.tree())).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void roundTripsThroughItsRecordUnchanged(Example example) throws Exception {
        WireEvent event = WireJson.reader().forType(Examples.recordType(example.schema())).readValue(example.bytes());
        JsonNode written = WireJson.reader().readTree(WireJson.writer().writeValueAsBytes(event));

        assertThat(JsonTrees.equal(written, example.tree()))
                .as("%s written back as %s", example, written)
                .isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("promptExamples")
    void promptExamplesPassTheStrictDecoder(Example example) throws InvalidPromptException {
        assertThat(new PromptDecoder().decode(example.bytes()).id()).isEqualTo(example.tree().get("id").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("decodableErrorExamples")
    void errorExamplesSayWhatTheDecoderSays(Example example) {
        JsonNode error = example.tree();
        byte[] raw = error.has("raw_value")
                ? error.get("raw_value_encoding").asText().equals("base64")
                        ? Base64.getDecoder().decode(error.get("raw_value").asText())
                        : error.get("raw_value").asText().getBytes(StandardCharsets.UTF_8)
                : null;

        InvalidPromptException rejection = rejection(raw);

        assertThat(rejection.code().wireName()).isEqualTo(error.get("code").asText());
        assertThat(rejection.getMessage()).isEqualTo(error.get("message").asText());
        assertThat(rejection.id().orElse(null)).isEqualTo(error.get("id").textValue());
    }

    @ParameterizedTest
    @EnumSource(WireSchema.class)
    void everyKindHasSeveralExamples(WireSchema schema) {
        assertThat(Examples.of(schema)).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void everyFinishReasonHasACompletionExample() {
        Set<String> shown = Examples.of(WireSchema.COMPLETION).stream()
                .map(example -> example.tree().get("finish_reason").asText())
                .collect(Collectors.toSet());

        assertThat(shown).containsExactlyInAnyOrderElementsOf(
                EnumSet.allOf(FinishReason.class).stream().map(FinishReason::wireName).toList());
    }

    private static InvalidPromptException rejection(byte[] raw) {
        try {
            new PromptDecoder().decode(raw);
        } catch (InvalidPromptException e) {
            return e;
        }
        throw new AssertionError("the raw value was accepted");
    }
}
