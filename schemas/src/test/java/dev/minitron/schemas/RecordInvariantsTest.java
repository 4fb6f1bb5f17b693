package dev.minitron.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.schemas.CompletionEvent.ErrorInfo;
import dev.minitron.schemas.CompletionEvent.Timing;
import dev.minitron.schemas.CompletionEvent.Usage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordInvariantsTest {

    @Test
    void promptNeedsPromptTextOrTokenIds() {
        assertThatThrownBy(() -> PromptEvent.builder("p").build())
                .hasMessage("prompt, prompt_token_ids: give exactly one of them, not neither");
    }

    @Test
    void promptRefusesPromptTextAndTokenIdsTogether() {
        assertThatThrownBy(() -> PromptEvent.builder("p").prompt("hi").promptTokenIds(1).build())
                .hasMessage("prompt, prompt_token_ids: give exactly one of them, not both");
    }

    @Test
    void promptRefusesTimeoutAndDeadlineTogether() {
        assertThatThrownBy(() -> PromptEvent.builder("p").prompt("hi").timeoutMs(5)
                .deadline(Instant.EPOCH).build())
                .hasMessageStartingWith("timeout_ms, deadline:");
    }

    @Test
    void promptRefusesNumbersJsonCannotHold() {
        assertThatThrownBy(() -> PromptEvent.builder("p").prompt("hi").temperature(Double.NaN).build())
                .hasMessage("temperature: must be a finite number, was NaN");
    }

    @Test
    void idsCountCharactersNotUtf16Units() {
        String emoji256 = "😀".repeat(256);

        assertThat(PromptEvent.of(emoji256, "hi").id()).isEqualTo(emoji256);
        assertThatThrownBy(() -> PromptEvent.of(emoji256 + "x", "hi"))
                .hasMessage("id: must be 1 to 256 characters long, was 257");
    }

    @Test
    void emptyIdIsRefused() {
        assertThatThrownBy(() -> CancelEvent.of("")).hasMessageStartingWith("id: must be 1 to 256");
    }

    @Test
    void samplingAppliesTheV1DefaultsToFieldsLeftOut() {
        PromptEvent.Sampling sampling = PromptEvent.of("p", "hi").sampling();

        assertThat(sampling).isEqualTo(new PromptEvent.Sampling(16, 1.0, 1.0, 0, 0.0, 1.0, 0.0, 0.0,
                null, List.of(), TokenIds.of(), false, null));
        assertThat(sampling.greedy()).isFalse();
    }

    @Test
    void samplingKeepsEveryFieldThatWasGiven() {
        PromptEvent.Sampling sampling = TypicalEvents.fullPrompt().sampling();

        assertThat(sampling).isEqualTo(new PromptEvent.Sampling(64, 0.7, 0.95, 50, 0.05, 1.1, 0.5,
                -0.25, Long.MIN_VALUE, List.of("\n\n", "###"), TokenIds.of(2), false, 5));
    }

    @Test
    void temperatureZeroIsGreedy() {
        assertThat(PromptEvent.builder("p").prompt("hi").temperature(0).build().sampling().greedy()).isTrue();
    }

    @Test
    void promptsStreamUnlessTheySayNot() {
        assertThat(PromptEvent.of("p", "hi").streaming()).isTrue();
        assertThat(PromptEvent.builder("p").prompt("hi").stream(false).build().streaming()).isFalse();
    }

    @Test
    void timeoutCountsFromTheRecordTimestamp() {
        PromptEvent prompt = PromptEvent.builder("p").prompt("hi").timeoutMs(1500).build();

        assertThat(prompt.expiresAt(Instant.ofEpochMilli(10_000))).contains(Instant.ofEpochMilli(11_500));
    }

    @Test
    void deadlineIsWhenTheRequestExpires() {
        Instant deadline = Instant.parse("2026-01-01T12:00:00Z");
        PromptEvent prompt = PromptEvent.builder("p").prompt("hi").deadline(deadline).build();

        assertThat(prompt.expiresAt(Instant.EPOCH)).contains(deadline);
    }

    @Test
    void requestWithoutTimeoutOrDeadlineNeverExpires() {
        assertThat(PromptEvent.of("p", "hi").expiresAt(Instant.EPOCH)).isEmpty();
    }

    @Test
    void hugeTimeoutSaturatesInsteadOfOverflowing() {
        PromptEvent prompt = PromptEvent.builder("p").prompt("hi").timeoutMs(Long.MAX_VALUE).build();

        assertThat(prompt.expiresAt(Instant.MAX.minusSeconds(1))).contains(Instant.MAX);
    }

    @Test
    void metadataKeepsTheProducersOrderAndCannotChange() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("z", "1");
        metadata.put("a", "2");
        PromptEvent prompt = PromptEvent.builder("p").prompt("hi").metadata(metadata).build();
        metadata.put("later", "3");

        assertThat(prompt.metadata()).containsExactly(Map.entry("z", "1"), Map.entry("a", "2"));
        assertThatThrownBy(() -> prompt.metadata().put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void tokenIdsCompareByValueAndNeverChange() {
        int[] ids = {1, 2, 3};
        TokenIds tokenIds = TokenIds.of(ids);
        ids[0] = 99;
        tokenIds.toArray()[1] = 99;

        assertThat(tokenIds).isEqualTo(TokenIds.of(1, 2, 3)).hasSameHashCodeAs(TokenIds.of(1, 2, 3));
        assertThat(tokenIds.toString()).isEqualTo("[1, 2, 3]");
    }

    @Test
    void tokenIdsAreNeverNegative() {
        assertThatThrownBy(() -> TokenIds.of(5, -1)).hasMessageContaining("must be ≥ 0, was -1 at 1");
    }

    @Test
    void tokenEventWithoutTokensCarriesOnlyTextHeldBackUntilTheEnd() {
        TokenEvent last = new TokenEvent("p", 1, 7, "held", TokenIds.of());
        assertThat(last.tokenIds().isEmpty()).isTrue();
        assertThat(last.text()).isEqualTo("held");
    }

    @Test
    void tokenEventHasOneLogprobPerToken() {
        TokenLogprob one = new TokenLogprob(1, "a", -0.5, null);

        assertThatThrownBy(() -> new TokenEvent("p", 1, 0, "ab", TokenIds.of(1, 2), List.of(one)))
                .hasMessage("logprobs: must have one entry per token id (2), had 1");
    }

    @Test
    void attemptsCountFromOne() {
        assertThatThrownBy(() -> new TokenEvent("p", 0, 0, "a", TokenIds.of(1)))
                .hasMessage("attempt: must be ≥ 1, was 0");
    }

    @Test
    void logprobsAreNeverPositive() {
        assertThatThrownBy(() -> new TokenLogprob(1, "a", 0.1, null))
                .hasMessage("logprob: must be a finite number ≤ 0, was 0.1");
    }

    @Test
    void completionCarriesAnErrorExactlyWhenItFinishedWithError() {
        Usage usage = new Usage(1, 0, 0);
        Timing timing = new Timing(0, null, 1);
        ErrorInfo error = new ErrorInfo(ErrorCode.INTERNAL, "boom");

        assertThatThrownBy(() -> new CompletionEvent("p", 1, "", FinishReason.ERROR, usage, timing,
                "m", "w", null, null, null))
                .hasMessageStartingWith("error: required exactly when finish_reason is error");
        assertThatThrownBy(() -> new CompletionEvent("p", 1, "", FinishReason.STOP, usage, timing,
                "m", "w", error, null, null))
                .hasMessageStartingWith("error: required exactly when finish_reason is error");
    }

    @Test
    void cachedTokensAreAtMostThePromptTokens() {
        assertThatThrownBy(() -> new Usage(4, 0, 5))
                .hasMessage("cached_tokens: at most prompt_tokens (4), was 5");
    }
}
