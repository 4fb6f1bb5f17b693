package dev.minitron.worker.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.schemas.TokenEvent;
import dev.minitron.schemas.TokenIds;
import dev.minitron.schemas.TokenLogprob;
import dev.minitron.schemas.json.WireJson;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status view's streaming read of token events: what the worker writes, and what it must skip. */
class StatusUpdatesTest {

    private static final String TOPIC = "minitron.tokens";

    @Test
    void readsTheAttemptAndTokenCountOfWhatTheWorkerWrites() throws Exception {
        var logprobs = List.of(new TokenLogprob(17, "a", -0.5, List.of()), new TokenLogprob(4, "{\"attempt\":9}", -1.5, null),
                new TokenLogprob(9, "c", -2.0, null));
        byte[] value = WireJson.writer().writeValueAsBytes(
                new TokenEvent("req-1", 3, 7, "a{\"attempt\":9}c", TokenIds.of(17, 4, 9), logprobs));

        StatusUpdate u = StatusUpdates.tokens(TOPIC, value);

        assertThat(u.attempt()).isEqualTo(3);
        assertThat(u.tokenCount()).isEqualTo(3);
    }

    @Test
    void anEmptyLastEventCountsNoTokens() throws Exception {
        byte[] value = WireJson.writer().writeValueAsBytes(new TokenEvent("req-1", 1, 4, "", TokenIds.of()));

        StatusUpdate u = StatusUpdates.tokens(TOPIC, value);

        assertThat(u.attempt()).isEqualTo(1);
        assertThat(u.tokenCount()).isZero();
    }

    @Test
    void fieldsInAnyOrderAndNestedLookAlikesAreReadRight() {
        StatusUpdate u = StatusUpdates.tokens(TOPIC, bytes(
                "{\"x\":{\"attempt\":5,\"token_ids\":[1]},\"token_ids\":[1,2],\"seq\":0,\"attempt\":2}"));

        assertThat(u.attempt()).isEqualTo(2);
        assertThat(u.tokenCount()).isEqualTo(2);
    }

    @Test
    void unreadableValuesAreSkipped() {
        for (String bad : List.of("not json", "[1,2]", "{\"attempt\":1}", "{\"token_ids\":[1]}",
                "{\"attempt\":0,\"token_ids\":[1]}", "{\"attempt\":\"1\",\"token_ids\":[1]}",
                "{\"attempt\":1,\"token_ids\":[1,\"2\"]}", "{\"attempt\":1,\"token_ids\":[1,2", "")) {
            assertThat(StatusUpdates.tokens(TOPIC, bytes(bad))).as(bad).isNull();
        }
        assertThat(StatusUpdates.tokens(TOPIC, null)).isNull();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
