package dev.minitron.worker.tracing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Prompt and completion text as the GenAI conventions' {@code gen_ai.input.messages} and
 * {@code gen_ai.output.messages} (JSON). Only used when {@code minitron.tracing.capture-content} is on.
 */
final class Content {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Content() {}

    static String inputMessages(String prompt) {
        ArrayNode messages = JSON.createArrayNode();
        messages.add(message("user", prompt));
        return messages.toString();
    }

    static String outputMessages(String text, String finishReason) {
        ArrayNode messages = JSON.createArrayNode();
        messages.add(message("assistant", text).put("finish_reason", finishReason));
        return messages.toString();
    }

    private static ObjectNode message(String role, String text) {
        ObjectNode message = JSON.createObjectNode().put("role", role);
        message.putArray("parts").addObject().put("type", "text").put("content", text);
        return message;
    }
}
