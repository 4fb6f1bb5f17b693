package dev.minitron.worker.status;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.minitron.schemas.json.WireJson;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** An HTTP answer of the status endpoints: a status code and a JSON body, local or relayed. */
public record StatusAnswer(int status, String json) {

    static StatusAnswer ok(Object body) {
        return new StatusAnswer(200, write(body));
    }

    static StatusAnswer problem(int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("message", message);
        return new StatusAnswer(status, write(body));
    }

    static StatusAnswer notFound(String message) {
        return problem(404, message);
    }

    static StatusAnswer badRequest(String message) {
        return problem(400, message);
    }

    /** The view cannot answer right now (starting, rebalancing, restoring): the client should retry. */
    static StatusAnswer unavailable(String message) {
        return problem(503, message);
    }

    static String write(Object body) {
        try {
            return WireJson.writer().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
