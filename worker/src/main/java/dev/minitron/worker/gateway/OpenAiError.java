package dev.minitron.worker.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A failed request in OpenAI's error shape ({@code {"error":{"message","type","param","code"}}})
 * with its HTTP status; OpenAI's clients turn the status into their exception classes
 * (BadRequestError, AuthenticationError, NotFoundError, RateLimitError …).
 */
public final class OpenAiError extends Exception {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public OpenAiError(int status, String type, String code, String param, String message) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400 for a field the caller got wrong, naming it. */
    public static OpenAiError invalid(String param, String message) {
        return new OpenAiError(400, "invalid_request_error", "invalid_value", param, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public ObjectNode toJson() {
        ObjectNode error = JsonNodeFactory.instance.objectNode();
        ObjectNode body = error.putObject("error");
        body.put("message", getMessage());
        body.put("type", type);
        if (param == null) {
            body.putNull("param");
        } else {
            body.put("param", param);
        }
        if (code == null) {
            body.putNull("code");
        } else {
            body.put("code", code);
        }
        return error;
    }
}
