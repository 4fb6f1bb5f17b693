package dev.minitron.worker.tracing;

import static dev.minitron.worker.tracing.SemConv.*;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Opens the spans of a prompt record on the poll thread: {@code process <topic>} (CONSUMER, child of
 * the producer's context from the record's headers, messaging attributes) and, for an accepted
 * prompt, the GenAI request span {@code text_completion <model>} under it. The spans start when the
 * record's handling began ({@link #begin()}), so the admission (decoding, validation, tokenizing) is
 * inside them.
 */
@ApplicationScoped
public class RequestTracer {

    private final Telemetry telemetry;
    private final String groupId;
    private final String model;
    private final Tokenizer tokenizer;
    private final boolean captureContent;

    public RequestTracer(Telemetry telemetry, WorkerConfig config, EngineHolder engine) {
        this.telemetry = telemetry;
        this.groupId = config.consumer().groupId();
        this.model = engine.modelName();
        this.tokenizer = engine.engine().tokenizer();
        this.captureContent = config.tracing().captureContent();
    }

    /** The moment a record's handling begins (epoch nanoseconds). */
    public long begin() {
        return telemetry.nowEpochNanos();
    }

    /** A record answered with an error event: its process span, ended; returns the headers the error event carries. */
    public List<Header> rejected(ConsumerRecord<byte[], byte[]> record, long begin, String errorCode) {
        Span process = process(record, begin);
        process.setStatus(StatusCode.ERROR, errorCode);
        process.setAttribute(ERROR_TYPE, errorCode);
        List<Header> headers = KafkaHeaders.of(Context.root().with(process));
        process.end();
        return headers;
    }

    /** An accepted prompt: its process span (ended by {@link RequestTrace#handedToEngine}) and request span. */
    public RequestTrace accepted(ConsumerRecord<byte[], byte[]> record, long begin, String id, int attempt,
                                 EngineRequest request) {
        Span process = process(record, begin);
        var p = request.params();
        var span = telemetry.tracer().spanBuilder(TEXT_COMPLETION + " " + model)
                .setParent(Context.root().with(process))
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(begin, TimeUnit.NANOSECONDS)
                .setAttribute(GEN_AI_OPERATION_NAME, TEXT_COMPLETION)
                .setAttribute(GEN_AI_REQUEST_MODEL, model)
                .setAttribute(GEN_AI_RESPONSE_MODEL, model)
                .setAttribute(GEN_AI_RESPONSE_ID, id)
                .setAttribute(GEN_AI_REQUEST_MAX_TOKENS, (long) p.maxTokens())
                .setAttribute(GEN_AI_REQUEST_TEMPERATURE, p.temperature())
                .setAttribute(GEN_AI_REQUEST_TOP_P, p.topP())
                .setAttribute(REQUEST_ID, id)
                .setAttribute(REQUEST_ATTEMPT, (long) attempt);
        if (p.topK() > 0) {
            span.setAttribute(GEN_AI_REQUEST_TOP_K, (long) p.topK());
        }
        if (p.seed() != null) {
            span.setAttribute(GEN_AI_REQUEST_SEED, p.seed());
        }
        Span requestSpan = span.startSpan();
        if (captureContent && requestSpan.isRecording()) {
            requestSpan.setAttribute(GEN_AI_INPUT_MESSAGES, Content.inputMessages(tokenizer.decode(request.promptTokenIds())));
        }
        return new RequestTrace(telemetry.exporting() ? telemetry : null, process, requestSpan,
                KafkaHeaders.of(Context.root().with(requestSpan)), captureContent);
    }

    private Span process(ConsumerRecord<byte[], byte[]> record, long begin) {
        Context parent = KafkaHeaders.extract(Context.root(), record.headers());
        var builder = telemetry.tracer().spanBuilder("process " + record.topic())
                .setParent(parent)
                .setSpanKind(SpanKind.CONSUMER)
                .setStartTimestamp(begin, TimeUnit.NANOSECONDS)
                .setAttribute(MESSAGING_SYSTEM, KAFKA)
                .setAttribute(MESSAGING_OPERATION_TYPE, "process")
                .setAttribute(MESSAGING_OPERATION_NAME, "process")
                .setAttribute(MESSAGING_DESTINATION_NAME, record.topic())
                .setAttribute(MESSAGING_DESTINATION_PARTITION_ID, Integer.toString(record.partition()))
                .setAttribute(MESSAGING_KAFKA_OFFSET, record.offset())
                .setAttribute(MESSAGING_CONSUMER_GROUP_NAME, groupId);
        if (record.key() != null) {
            builder.setAttribute(MESSAGING_KAFKA_MESSAGE_KEY, new String(record.key(), StandardCharsets.UTF_8));
        }
        if (record.value() != null) {
            builder.setAttribute(MESSAGING_MESSAGE_BODY_SIZE, (long) record.value().length);
        }
        return builder.startSpan();
    }
}
