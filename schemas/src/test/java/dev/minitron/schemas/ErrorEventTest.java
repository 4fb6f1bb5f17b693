package dev.minitron.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.schemas.ErrorEvent.RawValueEncoding;
import dev.minitron.schemas.ErrorEvent.SourceRef;
import dev.minitron.schemas.json.WireJson;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ErrorEventTest {
    private static final SourceRef SOURCE = new SourceRef(Topics.PROMPTS, 0, 7);

    private static ErrorEvent rejecting(byte[] value) {
        return ErrorEvent.of(null, SOURCE, ErrorCode.INVALID_JSON, "bad", value, "w", 1);
    }

    @Test
    void utf8ValueIsKeptAsText() {
        ErrorEvent event = rejecting("{\"id\": \"é\"".getBytes(StandardCharsets.UTF_8));

        assertThat(event.rawValue()).isEqualTo("{\"id\": \"é\"");
        assertThat(event.rawValueEncoding()).isEqualTo(RawValueEncoding.UTF_8);
        assertThat(event.rawValueTruncated()).isFalse();
    }

    @Test
    void valueThatIsNotUtf8IsKeptAsBase64() {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xE9};

        ErrorEvent event = rejecting(latin1);

        assertThat(event.rawValueEncoding()).isEqualTo(RawValueEncoding.BASE64);
        assertThat(Base64.getDecoder().decode(event.rawValue())).isEqualTo(latin1);
    }

    @Test
    void valueEndingInHalfACharacterIsNotUtf8() {
        byte[] cut = {'a', (byte) 0xC3};

        assertThat(rejecting(cut).rawValueEncoding()).isEqualTo(RawValueEncoding.BASE64);
    }

    @Test
    void longValueIsCutTo1024BytesAndMarkedTruncated() {
        ErrorEvent event = rejecting("x".repeat(5000).getBytes(StandardCharsets.UTF_8));

        assertThat(event.rawValue()).hasSize(1024);
        assertThat(event.rawValueTruncated()).isTrue();
    }

    @Test
    void cutNeverSplitsACharacter() {
        byte[] value = ("x".repeat(1023) + "é and more").getBytes(StandardCharsets.UTF_8);

        ErrorEvent event = rejecting(value);

        assertThat(event.rawValueEncoding()).isEqualTo(RawValueEncoding.UTF_8);
        assertThat(event.rawValue()).isEqualTo("x".repeat(1023));
        assertThat(event.rawValueTruncated()).isTrue();
    }

    @Test
    void longValueThatIsNotUtf8KeepsItsFirst1024BytesInBase64() {
        byte[] value = new byte[4096];
        value[0] = (byte) 0xFF;

        ErrorEvent event = rejecting(value);

        assertThat(Base64.getDecoder().decode(event.rawValue())).hasSize(1024);
        assertThat(event.rawValueTruncated()).isTrue();
    }

    @Test
    void recordWithoutValueHasNoRawValue() {
        ErrorEvent event = rejecting(null);

        assertThat(event.rawValue()).isNull();
        assertThat(event.rawValueEncoding()).isNull();
        assertThat(event.rawValueTruncated()).isFalse();
    }

    @Test
    void unknownIdIsWrittenAsNull() throws Exception {
        String json = WireJson.writer().writeValueAsString(rejecting(null));

        assertThat(json).startsWith("{\"id\":null,").doesNotContain("raw_value\"");
    }

    @Test
    void rawValueAndItsEncodingComeTogether() {
        assertThatThrownBy(() -> new ErrorEvent(null, SOURCE, ErrorCode.INTERNAL, "m", "x", null,
                false, "w", 1))
                .hasMessage("raw_value and raw_value_encoding: both or neither");
    }
}
