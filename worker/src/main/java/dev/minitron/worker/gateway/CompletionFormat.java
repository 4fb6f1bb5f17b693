package dev.minitron.worker.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.TokenLogprob;
import java.util.List;

/**
 * The bodies of OpenAI's Completions API: the {@code text_completion} object, its stream chunks
 * (the same object with a text delta) and the usage-only chunk that
 * {@code stream_options.include_usage} asks for, field for field as OpenAI's clients parse them.
 */
final class CompletionFormat {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private CompletionFormat() {
    }

    static ObjectNode completion(String localId, long created, String model, CompletionEvent c) {
        ObjectNode body = head(localId, created, model);
        choice(body.putArray("choices"), c.text(), logprobs(c.logprobs(), 0), finishReason(c));
        body.set("usage", usage(c.usage()));
        return body;
    }

    /** A stream chunk: a text delta, and the finish reason on the last one (null before). */
    static ObjectNode chunk(String localId, long created, String model, String text, List<TokenLogprob> logprobs,
            int textOffset, String finishReason) {
        ObjectNode body = head(localId, created, model);
        choice(body.putArray("choices"), text, logprobs(logprobs, textOffset), finishReason);
        return body;
    }

    static ObjectNode usageChunk(String localId, long created, String model, CompletionEvent.Usage usage) {
        ObjectNode body = head(localId, created, model);
        body.putArray("choices");
        body.set("usage", usage(usage));
        return body;
    }

    /** OpenAI's finish reasons for stop and length; the wire's own name for a cancelled request. */
    static String finishReason(CompletionEvent c) {
        return c.finishReason().wireName();
    }

    private static ObjectNode head(String localId, long created, String model) {
        ObjectNode body = JSON.objectNode();
        body.put("id", localId);
        body.put("object", "text_completion");
        body.put("created", created);
        body.put("model", model);
        return body;
    }

    private static void choice(ArrayNode choices, String text, ObjectNode logprobs, String finishReason) {
        ObjectNode choice = choices.addObject();
        choice.put("text", text);
        choice.put("index", 0);
        choice.set("logprobs", logprobs == null ? JSON.nullNode() : logprobs);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
    }

    /** OpenAI's legacy logprobs object: tokens, token_logprobs, top_logprobs, text_offset. */
    private static ObjectNode logprobs(List<TokenLogprob> logprobs, int textOffset) {
        if (logprobs == null) {
            return null;
        }
        ObjectNode out = JSON.objectNode();
        ArrayNode tokens = out.putArray("tokens");
        ArrayNode tokenLogprobs = out.putArray("token_logprobs");
        ArrayNode top = out.putArray("top_logprobs");
        ArrayNode offsets = out.putArray("text_offset");
        int offset = textOffset;
        for (TokenLogprob lp : logprobs) {
            String token = lp.token() == null ? "" : lp.token();
            tokens.add(token);
            tokenLogprobs.add(lp.logprob());
            ObjectNode alternatives = top.addObject();
            if (lp.topLogprobs() != null) {
                lp.topLogprobs().forEach(a -> alternatives.put(a.token() == null ? "" : a.token(), a.logprob()));
            }
            offsets.add(offset);
            offset += token.length();
        }
        return out;
    }

    private static ObjectNode usage(CompletionEvent.Usage usage) {
        ObjectNode u = JSON.objectNode();
        u.put("prompt_tokens", usage.promptTokens());
        u.put("completion_tokens", usage.completionTokens());
        u.put("total_tokens", usage.promptTokens() + usage.completionTokens());
        return u;
    }
}
