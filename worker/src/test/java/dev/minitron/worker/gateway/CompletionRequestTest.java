package dev.minitron.worker.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.json.WireJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CompletionRequestTest {

    private static CompletionRequest parse(String body, String key) throws OpenAiError {
        return CompletionRequest.parse(body.getBytes(StandardCharsets.UTF_8), "acme", "m", key, Duration.ofSeconds(30));
    }

    @Test
    void openAisFieldsBecomeOnePromptEventOfTheCallersTenant() throws Exception {
        CompletionRequest r = parse("""
                {"model":"m","prompt":["Hello"],"max_tokens":5,"temperature":0.5,"top_p":0.9,"stop":"\\n",
                 "n":1,"echo":false,"logprobs":2,"user":"u-1","stream":true,"stream_options":{"include_usage":true}}""",
                "k-1");
        JsonNode wire = WireJson.reader().readTree(r.value());
        assertThat(r.id()).isEqualTo("acme:cmpl-k-1");
        assertThat(r.localId()).isEqualTo("cmpl-k-1");
        assertThat(r.idempotent()).isTrue();
        assertThat(r.stream()).isTrue();
        assertThat(r.includeUsage()).isTrue();
        assertThat(wire.get("prompt").asText()).isEqualTo("Hello");
        assertThat(wire.get("tenant").asText()).isEqualTo("acme");
        assertThat(wire.get("timeout_ms").asLong()).isEqualTo(30_000);
        assertThat(wire.get("logprobs").asInt()).isEqualTo(2);
        assertThat(wire.at("/metadata/user").asText()).isEqualTo("u-1");
        assertThat(wire.has("seed")).as("a seed, so a redelivered attempt repeats the text").isTrue();
        assertThat(r.event().stop()).containsExactly("\n");
    }

    @Test
    void tokenIdsAreAPrompt() throws Exception {
        assertThat(parse("{\"model\":\"m\",\"prompt\":[1,2,3]}", null).event().promptTokenIds().toArray())
                .containsExactly(1, 2, 3);
        assertThat(parse("{\"model\":\"m\",\"prompt\":[[4,5]]}", null).event().promptTokenIds().toArray())
                .containsExactly(4, 5);
        assertThat(parse("{\"model\":\"m\",\"prompt\":\"x\"}", null).id()).startsWith("acme:cmpl-");
    }

    @Test
    void aCallerCannotClaimATenantOrAnId() {
        assertParam("{\"model\":\"m\",\"prompt\":\"x\",\"tenant\":\"globex\"}", 400, "tenant");
        assertParam("{\"model\":\"m\",\"prompt\":\"x\",\"id\":\"globex:cmpl-1\"}", 400, "id");
    }

    @Test
    void badFieldsAreNamed() {
        assertParam("{\"model\":\"m\",\"prompt\":\"x\",\"temperature\":-1}", 400, "temperature");
        assertParam("{\"model\":\"m\",\"prompt\":\"x\",\"max_tokens\":0}", 400, "max_tokens");
        assertParam("{\"model\":\"m\",\"prompt\":\"x\",\"n\":3}", 400, "n");
        assertParam("{\"model\":\"m\",\"prompt\":\"x\",\"logprobs\":9}", 400, "logprobs");
        assertParam("{\"model\":\"m\",\"prompt\":[\"a\",\"b\"]}", 400, "prompt");
        assertParam("{\"model\":\"m\"}", 400, "prompt");
        assertParam("{\"model\":\"other\",\"prompt\":\"x\"}", 404, "model");
        assertParam("{\"prompt\":\"x\"}", 400, "model");
        assertThatThrownBy(() -> parse("{\"model\":\"m\",\"prompt\":\"x\"}", "no spaces allowed"))
                .isInstanceOfSatisfying(OpenAiError.class, e -> assertThat(e.toJson().at("/error/param").asText())
                        .isEqualTo("Idempotency-Key"));
        assertThatThrownBy(() -> parse("{not json", null)).isInstanceOfSatisfying(OpenAiError.class,
                e -> assertThat(e.code()).isEqualTo("invalid_json"));
    }

    private static void assertParam(String body, int status, String param) {
        assertThatThrownBy(() -> parse(body, null)).isInstanceOfSatisfying(OpenAiError.class, e -> {
            assertThat(e.status()).isEqualTo(status);
            assertThat(e.toJson().at("/error/param").asText()).isEqualTo(param);
        });
    }
}
