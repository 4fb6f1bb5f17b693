package dev.minitron.schemas.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.FinishReason;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.Topics;
import dev.minitron.schemas.TypicalEvents;
import dev.minitron.schemas.decode.InvalidPromptException;
import dev.minitron.schemas.decode.PromptDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class JsonSerdeTest {

    @Test
    void completionRoundTripsAsUtf8Json() {
        CompletionEvent completion = TypicalEvents.completion(FinishReason.STOP);
        JsonSerde<CompletionEvent> serde = MinitronSerdes.completions();

        byte[] bytes = serde.serialize(Topics.COMPLETIONS, completion);

        assertThat(new String(bytes, StandardCharsets.UTF_8)).startsWith("{\"id\":\"p-1\",\"attempt\":1,");
        assertThat(serde.deserialize(Topics.COMPLETIONS, bytes)).isEqualTo(completion);
    }

    @Test
    void tombstonePassesThroughAsNull() {
        JsonSerde<CompletionEvent> serde = MinitronSerdes.completions();

        assertThat(serde.serialize(Topics.COMPLETIONS, null)).isNull();
        assertThat(serde.deserialize(Topics.COMPLETIONS, null)).isNull();
    }

    @Test
    void outputEventReaderIgnoresFieldsAddedByALaterRevision() {
        byte[] json = "{\"id\":\"p\",\"reason\":\"r\",\"added_later\":1}".getBytes(StandardCharsets.UTF_8);

        assertThat(MinitronSerdes.cancels().deserialize(Topics.CANCELS, json).reason()).isEqualTo("r");
    }

    @Test
    void unreadableValueIsASerializationExceptionThatSaysWhy() {
        byte[] json = "{\"id\":\"p\",\"attempt\":0,\"seq\":0,\"text\":\"\",\"token_ids\":[1]}"
                .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> MinitronSerdes.tokens().deserialize(Topics.TOKENS, json))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("cannot read a TokenEvent from topic minitron.tokens")
                .hasMessageContaining("attempt: must be ≥ 1, was 0");
    }

    @Test
    void missingNumberIsAnErrorNotAZero() {
        byte[] json = "{\"id\":\"p\",\"attempt\":1,\"text\":\"\",\"token_ids\":[1]}"
                .getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> MinitronSerdes.tokens().deserialize(Topics.TOKENS, json))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Cannot map `null` into type `int`");
    }

    @Test
    void promptsAreReadStrictlyAndTheCauseCarriesTheCode() {
        byte[] json = "{\"id\":\"p\",\"prompt\":\"hi\",\"max_token\":3}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> MinitronSerdes.prompts().deserialize(Topics.PROMPTS, json))
                .isInstanceOf(SerializationException.class)
                .cause()
                .isInstanceOfSatisfying(InvalidPromptException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_FIELD));
    }

    @Test
    void promptSerdeHonoursTheDecodersRecordLimit() {
        byte[] json = "{\"id\":\"p\",\"prompt\":\"hello\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> MinitronSerdes.prompts(new PromptDecoder(10)).deserialize(Topics.PROMPTS, json))
                .cause()
                .isInstanceOfSatisfying(InvalidPromptException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.RECORD_TOO_LARGE));
    }

    @Test
    void producerSerializesWhatTheWorkerDecodes() {
        JsonSerde<PromptEvent> serde = MinitronSerdes.prompts();
        PromptEvent prompt = TypicalEvents.fullPrompt();

        assertThat(serde.deserialize(Topics.PROMPTS, serde.serialize(Topics.PROMPTS, prompt))).isEqualTo(prompt);
    }

    @Test
    void serdeClassesCanBeConfiguredByName() throws Exception {
        @SuppressWarnings("unchecked")
        Deserializer<CompletionEvent> deserializer = (Deserializer<CompletionEvent>)
                Class.forName(MinitronSerdes.Completions.class.getName()).getConstructor().newInstance();
        deserializer.configure(Map.of(), false);

        byte[] bytes = MinitronSerdes.completions().serialize("t", TypicalEvents.completion(FinishReason.LENGTH));

        assertThat(deserializer.deserialize("t", bytes).finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void keysAreTheRequestIdInUtf8() {
        Serde<String> key = MinitronSerdes.key();

        assertThat(key.serializer().serialize("t", "réq-1")).isEqualTo("réq-1".getBytes(StandardCharsets.UTF_8));
    }
}
