package dev.minitron.worker.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.decode.InvalidPromptException;
import dev.minitron.schemas.decode.PromptDecoder;
import dev.minitron.schemas.json.WireJson;
import java.io.IOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code POST /v1/completions} body turned into the prompt event it becomes. OpenAI's own
 * fields are checked here ({@code model}, {@code n}, {@code echo} …); the sampling fields go onto
 * the wire unchanged and are checked by the same {@link PromptDecoder} a worker runs, so the caller
 * gets the worker's message, naming the field, as a 400 before anything reaches Kafka.
 *
 * <p>A request without a {@code seed} gets a random one: a prompt redelivered after a worker died
 * then produces the same text again, which lets a stream go on where it was cut (docs/gateway.md).
 *
 * @param id the prompt event's id: {@code tenant:localId}, so one tenant never names another's request
 * @param localId the id the caller sees ({@code cmpl-…})
 * @param value the prompt event's JSON, as produced
 * @param idempotent whether the caller sent an Idempotency-Key (the id is then derived from it)
 */
public record CompletionRequest(
        String id,
        String localId,
        String tenant,
        PromptEvent event,
        byte[] value,
        boolean stream,
        boolean includeUsage,
        boolean idempotent,
        Duration timeout) {

    /** Sampling fields passed to the wire as they are (OpenAI's, and the vLLM extensions the wire has). */
    private static final Set<String> PASSED = Set.of("max_tokens", "temperature", "top_p", "top_k", "min_p",
            "repetition_penalty", "presence_penalty", "frequency_penalty", "seed", "stop", "stop_token_ids",
            "ignore_eos", "priority");
    private static final Pattern FIELD = Pattern.compile("^/?([a-z_]+)\\b");
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._~-]{1,128}");
    private static final PromptDecoder DECODER = new PromptDecoder();

    /**
     * @param idempotencyKey the {@code Idempotency-Key} header, or null
     * @param timeout the request's budget (header or server default)
     */
    public static CompletionRequest parse(byte[] body, String tenant, String servedModel, String idempotencyKey,
            Duration timeout) throws OpenAiError {
        JsonNode root;
        try {
            root = WireJson.reader().readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new OpenAiError(400, "invalid_request_error", "invalid_json", null,
                    "the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new OpenAiError(400, "invalid_request_error", "invalid_json", null, "the body could not be read");
        }
        if (root == null || !root.isObject()) {
            throw new OpenAiError(400, "invalid_request_error", "invalid_json", null, "the body must be a JSON object");
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual()) {
            throw OpenAiError.invalid("model", "model: required, a string (the served model is " + servedModel + ")");
        }
        if (!model.asText().equals(servedModel)) {
            throw new OpenAiError(404, "invalid_request_error", "model_not_found", "model",
                    "The model `" + model.asText() + "` does not exist; this fleet serves `" + servedModel + "`");
        }
        String localId;
        if (idempotencyKey != null) {
            if (!KEY.matcher(idempotencyKey).matches()) {
                throw OpenAiError.invalid("Idempotency-Key",
                        "Idempotency-Key: 1 to 128 characters of [A-Za-z0-9._~-]");
            }
            localId = "cmpl-" + idempotencyKey;
        } else {
            localId = "cmpl-" + java.util.UUID.randomUUID().toString().replace("-", "");
        }
        String id = tenant + ":" + localId;

        ObjectNode wire = JsonNodeFactory.instance.objectNode();
        wire.put("id", id);
        boolean stream = false;
        boolean includeUsage = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            switch (name) {
                case "model" -> { }
                case "prompt" -> putPrompt(wire, v);
                case "stream" -> {
                    if (!v.isNull() && !v.isBoolean()) {
                        throw OpenAiError.invalid("stream", "stream: must be true or false");
                    }
                    stream = v.asBoolean(false);
                }
                case "stream_options" -> {
                    if (v.isNull()) {
                        break;
                    }
                    if (!v.isObject()) {
                        throw OpenAiError.invalid("stream_options", "stream_options: must be an object");
                    }
                    JsonNode usage = v.get("include_usage");
                    if (usage != null && !usage.isNull() && !usage.isBoolean()) {
                        throw OpenAiError.invalid("stream_options", "stream_options.include_usage: must be true or false");
                    }
                    includeUsage = usage != null && usage.asBoolean(false);
                }
                case "n", "best_of" -> {
                    if (!v.isNull() && !(v.canConvertToInt() && v.isIntegralNumber() && v.asInt() == 1)) {
                        throw OpenAiError.invalid(name, name + ": only 1 is supported (one choice per request)");
                    }
                }
                case "echo" -> {
                    if (!v.isNull() && !(v.isBoolean() && !v.asBoolean())) {
                        throw OpenAiError.invalid("echo", "echo: only false is supported");
                    }
                }
                case "suffix" -> {
                    if (!v.isNull()) {
                        throw OpenAiError.invalid("suffix", "suffix: not supported (Minitron-8B-Base has no fill-in-the-middle)");
                    }
                }
                case "logit_bias" -> {
                    if (!v.isNull() && !(v.isObject() && v.isEmpty())) {
                        throw OpenAiError.invalid("logit_bias", "logit_bias: not supported");
                    }
                }
                case "logprobs" -> {
                    if (!v.isNull()) {
                        if (!v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > 5) {
                            throw OpenAiError.invalid("logprobs", "logprobs: an integer from 0 to 5");
                        }
                        wire.put("logprobs", v.asInt());
                    }
                }
                case "user" -> {
                    if (!v.isNull()) {
                        if (!v.isTextual()) {
                            throw OpenAiError.invalid("user", "user: must be a string");
                        }
                        wire.putObject("metadata").put("user", v.asText());
                    }
                }
                default -> {
                    if (!PASSED.contains(name)) {
                        throw OpenAiError.invalid(name, name + ": unknown or unsupported parameter");
                    }
                    if (!v.isNull()) {
                        wire.set(name, v);
                    }
                }
            }
        }
        if (!wire.has("prompt") && !wire.has("prompt_token_ids")) {
            throw OpenAiError.invalid("prompt", "prompt: required");
        }
        if (!wire.has("seed")) {
            wire.put("seed", ThreadLocalRandom.current().nextLong(0, 1L << 53));
        }
        wire.put("stream", stream);
        wire.put("timeout_ms", timeout.toMillis());
        wire.put("tenant", tenant);
        byte[] value;
        PromptEvent event;
        try {
            value = WireJson.writer().writeValueAsBytes(wire);
            event = DECODER.decode(value);
        } catch (InvalidPromptException e) {
            throw OpenAiError.invalid(param(e.getMessage()), e.getMessage());
        } catch (IOException e) {
            throw new OpenAiError(500, "server_error", "internal", null, "could not write the prompt event");
        }
        return new CompletionRequest(id, localId, tenant, event, value, stream, includeUsage, idempotencyKey != null,
                timeout);
    }

    /** OpenAI's prompt forms with one prompt: a string, [string], [int…] or [[int…]]. */
    private static void putPrompt(ObjectNode wire, JsonNode v) throws OpenAiError {
        if (v.isTextual()) {
            wire.put("prompt", v.asText());
            return;
        }
        if (v.isArray() && v.size() == 1 && (v.get(0).isTextual() || v.get(0).isArray())) {
            putPrompt(wire, v.get(0));
            return;
        }
        if (v.isArray() && !v.isEmpty()) {
            ArrayNode ids = wire.putArray("prompt_token_ids");
            for (JsonNode t : v) {
                if (!t.isIntegralNumber()) {
                    throw OpenAiError.invalid("prompt", "prompt: a string, or one list of token ids (integers)");
                }
                ids.add(t);
            }
            return;
        }
        throw OpenAiError.invalid("prompt", "prompt: a string or a list of token ids; one prompt per request (n = 1, no batches)");
    }

    /** The field a decoder message starts with ({@code "max_tokens: must be ≥ 1"}), or null. */
    private static String param(String message) {
        Matcher m = FIELD.matcher(message == null ? "" : message);
        return m.find() ? m.group(1) : null;
    }
}
