package dev.minitron.engine;

import dev.minitron.engine.sample.SamplingParams;
import java.time.Instant;

/**
 * One generation request as the engine sees it: already tokenized.
 *
 * @param priority lower runs sooner (vLLM's convention); ties go to the earlier arrival
 * @param deadline wall-clock time after which the request is answered {@code timeout}; null: none
 */
public record EngineRequest(
        String requestId,
        int[] promptTokenIds,
        SamplingParams params,
        int priority,
        Instant deadline) {

    public EngineRequest {
        if (requestId == null || requestId.isEmpty()) {
            throw new IllegalArgumentException("requestId must not be empty");
        }
        if (promptTokenIds == null || promptTokenIds.length == 0) {
            throw new IllegalArgumentException("a request needs at least one prompt token");
        }
        if (params == null) {
            throw new IllegalArgumentException("params must not be null");
        }
        promptTokenIds = promptTokenIds.clone();
    }

    public EngineRequest(String requestId, int[] promptTokenIds, SamplingParams params) {
        this(requestId, promptTokenIds, params, 0, null);
    }

    public EngineRequest withRequestId(String id) {
        return new EngineRequest(id, promptTokenIds, params, priority, deadline);
    }
}
