package dev.minitron.worker.kafka;

import dev.minitron.worker.tracing.RequestTrace;
import java.util.List;
import org.apache.kafka.common.header.Header;

/**
 * A prompt record's terminal record, serialized and ready to publish: a completion or an error event.
 * Publishing it is what lets the record's offset be committed.
 *
 * @param request    the record it answers ({@link InFlight#rejected} for an error event at admission)
 * @param completion a completion (held by the publication lease in at-least-once mode), else an error event
 * @param trace      the request whose span ends with this record, or {@link RequestTrace#NONE}
 * @param onWritten  runs once the record is written for good (acknowledged, or its transaction committed)
 */
record Answer(InFlight request, boolean completion, String topic, byte[] key, byte[] value, List<Header> headers,
              RequestTrace trace, Runnable onWritten) {
}
