package dev.minitron.schemas.decode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.PromptEvent;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptDecoderTest {
    private final PromptDecoder decoder = new PromptDecoder();

    private PromptEvent decode(String json) throws InvalidPromptException {
        return decoder.decode(json.getBytes(StandardCharsets.UTF_8));
    }

    private InvalidPromptException rejection(String json) {
        return rejection(json.getBytes(StandardCharsets.UTF_8));
    }

    private InvalidPromptException rejection(byte[] value) {
        try {
            PromptEvent accepted = decoder.decode(value);
            throw new AssertionError("accepted: " + accepted);
        } catch (InvalidPromptException e) {
            return e;
        }
    }

    @Test
    void decodesAMinimalPrompt() throws InvalidPromptException {
        PromptEvent prompt = decode("{\"id\":\"r1\",\"prompt\":\"Hello\"}");

        assertThat(prompt).isEqualTo(PromptEvent.of("r1", "Hello"));
    }

    @Test
    void outOfRangeValueNamesTheFieldAndTheRule() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"temperature\":7.5}");

        assertThat(e.code()).isEqualTo(ErrorCode.VALUE_OUT_OF_RANGE);
        assertThat(e.getMessage()).isEqualTo("temperature: must be ≤ 2, was 7.5");
        assertThat(e.id()).contains("r1");
    }

    @Test
    void exclusiveBoundIsSaidAsStrict() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"top_p\":0}").getMessage())
                .isEqualTo("top_p: must be > 0, was 0");
    }

    @Test
    void unknownFieldIsNamedWithTheFieldItResembles() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"max_token\":32}");

        assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_FIELD);
        assertThat(e.getMessage()).isEqualTo("max_token: unknown field; did you mean max_tokens?");
    }

    @Test
    void unknownFieldFromAnotherServingApiPointsToTheV1Name() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"max_new_tokens\":32}").getMessage())
                .isEqualTo("max_new_tokens: unknown field; did you mean max_tokens?");
    }

    @Test
    void unknownFieldUnlikeAnyOtherIsJustNamed() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"best_of\":3}").getMessage())
                .isEqualTo("best_of: unknown field");
    }

    @Test
    void shortUnknownFieldGetsNoFarFetchedSuggestion() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"n\":2}").getMessage())
                .isEqualTo("n: unknown field");
    }

    @Test
    void unknownFieldDecidesTheCodeAndEveryViolationIsListed() {
        InvalidPromptException e =
                rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"temperature\":9,\"promt\":\"x\"}");

        assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_FIELD);
        assertThat(e.getMessage()).isEqualTo(
                "promt: unknown field; did you mean prompt?; temperature: must be ≤ 2, was 9");
    }

    @Test
    void messageListsAtMostFiveViolations() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"temperature\":9,"
                + "\"top_p\":2,\"min_p\":2,\"presence_penalty\":3,\"frequency_penalty\":3,\"logprobs\":99}");

        assertThat(e.getMessage()).endsWith("; and 1 more").contains("temperature", "top_p");
    }

    @Test
    void wrongTypeSaysWhatWasExpectedAndWhatCame() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"max_tokens\":\"16\"}");

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.getMessage()).isEqualTo("max_tokens: must be an integer, was a string (\"16\")");
    }

    @Test
    void nestedViolationNamesItsPath() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"stop\":[\"a\",\"\"]}").getMessage())
                .isEqualTo("stop[1]: must be at least 1 character long, was 0");
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"metadata\":{\"n\":3}}").getMessage())
                .isEqualTo("metadata.n: must be a string, was an integer (3)");
    }

    @Test
    void bothPromptAndTokenIdsIsOneClearError() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"prompt_token_ids\":[1]}");

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(e.getMessage()).isEqualTo("prompt, prompt_token_ids: give exactly one of them, not both");
    }

    @Test
    void missingPromptSaysEitherFieldWillDo() {
        assertThat(rejection("{\"id\":\"r1\"}").getMessage())
                .isEqualTo("prompt: required (or prompt_token_ids)");
    }

    @Test
    void timeoutAndDeadlineTogetherIsOneClearError() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"timeout_ms\":5,"
                + "\"deadline\":\"2026-01-01T00:00:00Z\"}").getMessage())
                .isEqualTo("timeout_ms, deadline: give at most one of them, not both");
    }

    @Test
    void missingIdIsRequired() {
        InvalidPromptException e = rejection("{\"prompt\":\"Hi\"}");

        assertThat(e.getMessage()).isEqualTo("id: required");
        assertThat(e.id()).isEmpty();
    }

    @Test
    void recordThatIsNotAnObjectSaysSo() {
        assertThat(rejection("[1, 2]").getMessage()).isEqualTo("the record must be a JSON object, was an array");
    }

    @Test
    void deadlineMustBeAnRfc3339DateTime() {
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"deadline\":\"tomorrow\"}").getMessage())
                .isEqualTo("deadline: must be an RFC 3339 date-time such as 2026-01-01T12:00:00Z, was \"tomorrow\"");
    }

    @Test
    void deadlineMayUseAnOffsetAndLowerCaseLetters() throws InvalidPromptException {
        PromptEvent prompt = decode("{\"id\":\"r1\",\"prompt\":\"Hi\",\"deadline\":\"2026-01-01t14:00:00+02:00\"}");

        assertThat(prompt.deadline()).isEqualTo(Instant.parse("2026-01-01T12:00:00Z"));
    }

    @Test
    void singleStopStringIsReadAsAList() throws InvalidPromptException {
        assertThat(decode("{\"id\":\"r1\",\"prompt\":\"Hi\",\"stop\":\"\\n\"}").stop()).isEqualTo(List.of("\n"));
    }

    @Test
    void integerWrittenWithAZeroFractionIsAnInteger() throws InvalidPromptException {
        assertThat(decode("{\"id\":\"r1\",\"prompt\":\"Hi\",\"max_tokens\":16.0}").maxTokens()).isEqualTo(16);
    }

    @Test
    void explicitNullLogprobsMeansNone() throws InvalidPromptException {
        assertThat(decode("{\"id\":\"r1\",\"prompt\":\"Hi\",\"logprobs\":null}").logprobs()).isNull();
    }

    @Test
    void seedBeyondInt64WrittenWithAnExponentIsOutOfRange() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"seed\":1.8446744073709551617e19}");

        assertThat(e.code()).isEqualTo(ErrorCode.VALUE_OUT_OF_RANGE);
        assertThat(e.getMessage()).startsWith("seed: ");
    }

    @Test
    void recordOverTheLimitIsTooLargeAndKeepsItsId() {
        byte[] value = ("{\"id\":\"big-1\",\"prompt\":\"" + "a".repeat(200) + "\"}").getBytes(StandardCharsets.UTF_8);

        InvalidPromptException e;
        try {
            new PromptDecoder(100).decode(value);
            throw new AssertionError("accepted");
        } catch (InvalidPromptException rejected) {
            e = rejected;
        }

        assertThat(e.code()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
        assertThat(e.getMessage())
                .isEqualTo("the record is " + value.length + " bytes, more than the limit of 100 bytes");
        assertThat(e.id()).contains("big-1");
    }

    @Test
    void recordWithoutValueIsInvalidJson() {
        InvalidPromptException e = rejection((byte[]) null);

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage()).isEqualTo("the record has no value; a prompt event is a JSON object");
    }

    @Test
    void anEmptyPromptIsRejectedWithItsIdKept() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"\"}");

        assertThat(e.code()).isEqualTo(ErrorCode.VALUE_OUT_OF_RANGE);
        assertThat(e.getMessage()).isEqualTo("prompt: must be at least 1 character long, was 0");
        assertThat(e.id()).contains("r1");
    }

    @Test
    void emptyValueIsInvalidJson() {
        assertThat(rejection("  ").getMessage())
                .isEqualTo("the record's value is empty; a prompt event is a JSON object");
    }

    @Test
    void bytesThatAreNotUtf8AreInvalidJsonButTheIdBeforeThemIsKept() {
        byte[] latin1 = "{\"id\":\"r1\",\"prompt\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);

        InvalidPromptException e = rejection(latin1);

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage()).isEqualTo("not valid UTF-8: malformed bytes at offset 24");
        assertThat(e.id()).contains("r1");
    }

    @Test
    void truncatedJsonIsInvalidButTheIdBeforeTheCutIsKept() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hel");

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage()).startsWith("not valid JSON: ").contains("line 1");
        assertThat(e.id()).contains("r1");
    }

    @Test
    void idThatIsNotAValidIdIsNotRecovered() {
        assertThat(rejection("{\"id\":42,\"prompt\":\"Hi\"}").id()).isEmpty();
        assertThat(rejection("{\"id\":\"" + "x".repeat(257) + "\",\"prompt\":\"Hi\"}").id()).isEmpty();
    }

    @Test
    void duplicateKeyIsInvalidJson() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"prompt\":\"Bye\"}");

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage()).contains("Duplicate field 'prompt'");
    }

    @Test
    void trailingDataIsInvalidJson() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"Hi\"} {}");

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage())
                .isEqualTo("not valid JSON: more data after the end of the object (line 1, column 27)");
        assertThat(e.id()).contains("r1");
    }

    @Test
    void deepNestingIsInvalidJsonNotAStackOverflow() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"metadata\":" + "[".repeat(100_000));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage())
                .isEqualTo("not accepted as JSON: Document nesting depth (33) exceeds the maximum allowed (32)");
        assertThat(e.id()).contains("r1");
    }

    @Test
    void unpairedSurrogateEscapeIsRefusedBecauseNoAnswerCouldCarryIt() {
        InvalidPromptException e = rejection("{\"id\":\"r1\",\"prompt\":\"a\\ud800b\"}");

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_JSON);
        assertThat(e.getMessage()).startsWith("prompt: holds an unpaired UTF-16 surrogate");
    }

    @Test
    void surrogatePairEscapeIsText() throws InvalidPromptException {
        assertThat(decode("{\"id\":\"r1\",\"prompt\":\"\\ud83d\\ude00\"}").prompt()).isEqualTo("😀");
    }

    @Test
    void leadingByteOrderMarkIsIgnored() throws InvalidPromptException {
        assertThat(decode("\uFEFF{\"id\":\"r1\",\"prompt\":\"Hi\"}").id()).isEqualTo("r1");
    }

    @Test
    void longValuesAreShortenedInMessages() {
        InvalidPromptException e = rejection("{\"id\":\"" + "x".repeat(300) + "\",\"prompt\":\"Hi\"}");

        assertThat(e.getMessage()).isEqualTo("id: must be at most 256 characters long, was 300");
        assertThat(rejection("{\"id\":\"r1\",\"prompt\":\"Hi\",\"" + "k".repeat(300) + "\":1}").getMessage())
                .hasSizeLessThan(100);
    }
}
