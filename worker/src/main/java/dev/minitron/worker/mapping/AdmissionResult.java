package dev.minitron.worker.mapping;

import dev.minitron.engine.EngineRequest;
import dev.minitron.schemas.ErrorEvent;
import java.time.Instant;
import java.util.Map;

/** What became of one prompt record: a request for the engine, or an error event to publish. */
public sealed interface AdmissionResult {

    /**
     * @param id         the prompt's id (also the request's id until the consumer names the admission)
     * @param recordTime the prompt record's timestamp: the origin of the completion's timing
     */
    record Accepted(String id, EngineRequest request, boolean stream, Map<String, String> metadata, Instant recordTime)
            implements AdmissionResult {
    }

    record Rejected(ErrorEvent error) implements AdmissionResult {
    }
}
