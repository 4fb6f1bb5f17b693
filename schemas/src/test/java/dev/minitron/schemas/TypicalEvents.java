package dev.minitron.schemas;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.minitron.schemas.CompletionEvent.ErrorInfo;
import dev.minitron.schemas.CompletionEvent.Timing;
import dev.minitron.schemas.CompletionEvent.Usage;
import dev.minitron.schemas.ErrorEvent.SourceRef;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Events as the fleet and its clients build them in code, one of each shape. */
public final class TypicalEvents {
    private TypicalEvents() {}

    public static final String MODEL = "nvidia/Minitron-8B-Base";
    public static final String WORKER = "minitron-worker-0";

    public static List<WireEvent> all() {
        List<WireEvent> events = new ArrayList<>();
        events.add(PromptEvent.of("p-1", "The capital of France is"));
        events.add(PromptEvent.ofTokens("p-2", 1, 450, 7483));
        events.add(fullPrompt());
        events.add(PromptEvent.builder("p-4").prompt("Hi").deadline(Instant.parse("2026-01-01T12:00:00.5Z"))
                .stream(false).build());
        events.add(PromptEvent.builder("p-5").prompt("JSON:").responseFormat(ResponseFormat.jsonObject()).build());
        events.add(PromptEvent.builder("p-6").prompt("JSON:").responseFormat(ResponseFormat.jsonSchema("answer",
                JsonNodeFactory.instance.objectNode().put("type", "integer"))).build());
        events.add(PromptEvent.builder("p-7").prompt("Mail:")
                .structuredOutputs(StructuredOutputs.ofRegex("[a-z]+@[a-z]+\\.com")).build());
        events.add(PromptEvent.builder("p-8").prompt("Yes?")
                .structuredOutputs(StructuredOutputs.ofChoice(List.of("yes", "no"))).build());
        events.add(PromptEvent.builder("p-9").prompt("List:")
                .structuredOutputs(StructuredOutputs.ofGrammar("root ::= \"[\" [0-9]* \"]\"")).build());
        events.add(PromptEvent.builder("p-10").prompt("JSON:")
                .structuredOutputs(StructuredOutputs.ofJson(JsonNodeFactory.instance.textNode("{\"type\":\"boolean\"}")))
                .build());
        events.add(new CompletionEvent("p-6", 1, "{\"a\":", FinishReason.LENGTH, new Usage(3, 2, 0),
                new Timing(1, 5L, 9), MODEL, WORKER, null, null, null, true));
        events.add(new TokenEvent("p-1", 1, 0, " Paris", TokenIds.of(3681)));
        events.add(new TokenEvent("p-3", 2, 7, "", TokenIds.of(243, 244),
                List.of(logprob(243), logprob(244))));
        for (FinishReason reason : FinishReason.values()) {
            events.add(completion(reason));
        }
        SourceRef source = new SourceRef(Topics.PROMPTS, 3, 18211);
        events.add(ErrorEvent.of(null, source, ErrorCode.INVALID_JSON, "not valid JSON",
                "{\"id\":".getBytes(StandardCharsets.UTF_8), WORKER, 1_767_268_800_123L));
        events.add(ErrorEvent.of(null, source, ErrorCode.INVALID_JSON, "not valid UTF-8",
                new byte[] {'{', (byte) 0xE9, '}'}, WORKER, 1L));
        events.add(ErrorEvent.of("p-9", source, ErrorCode.RECORD_TOO_LARGE, "too large",
                "x".repeat(5000).getBytes(StandardCharsets.UTF_8), WORKER, 2L));
        events.add(ErrorEvent.of(null, source, ErrorCode.INVALID_JSON, "no value", null, WORKER, 3L));
        events.add(ErrorEvent.of("p-11", source, ErrorCode.UNSUPPORTED_SCHEMA, "the keyword 'not' is not supported",
                null, WORKER, 4L));
        events.add(CancelEvent.of("p-1"));
        events.add(new CancelEvent("p-3", "user closed the tab"));
        return events;
    }

    public static PromptEvent fullPrompt() {
        return PromptEvent.builder("p-3")
                .prompt("Write a haiku about Kafka partitions:\n")
                .maxTokens(64).temperature(0.7).topP(0.95).topK(50).minP(0.05)
                .repetitionPenalty(1.1).presencePenalty(0.5).frequencyPenalty(-0.25)
                .seed(Long.MIN_VALUE).stop("\n\n", "###").stopTokenIds(2).ignoreEos(false)
                .logprobs(5).stream(true).priority(-1).timeoutMs(30_000).tenant("team-search")
                .metadata(Map.of("user", "u-42"))
                .build();
    }

    public static CompletionEvent completion(FinishReason reason) {
        boolean failed = reason == FinishReason.ERROR;
        return new CompletionEvent("p-1", 1, failed ? "" : " Paris", reason,
                new Usage(6, failed ? 0 : 2, 4),
                new Timing(3, failed ? null : 21L, 40),
                MODEL, WORKER,
                failed ? new ErrorInfo(ErrorCode.INTERNAL, "engine step failed") : null,
                reason == FinishReason.STOP ? Map.of("user", "u-42") : null,
                reason == FinishReason.LENGTH ? List.of(logprob(3681), logprob(29892)) : null);
    }

    private static TokenLogprob logprob(int tokenId) {
        return new TokenLogprob(tokenId, "t" + tokenId, -0.25,
                List.of(new TokenLogprob.Alternative(tokenId, "t" + tokenId, -0.25),
                        new TokenLogprob.Alternative(tokenId + 1, null, -1.5)));
    }
}
