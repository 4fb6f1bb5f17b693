package dev.minitron.worker.cli;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import zipkin2.reporter.urlconnection.URLConnectionSender;

/**
 * The CLI's side of a trace. With {@code MINITRON_TRACING_ZIPKIN_ENDPOINT} or
 * {@code MINITRON_TRACING_OTLP_ENDPOINT} set (the worker's own keys), each prompt record gets a
 * PRODUCER span {@code send <topic>} that is exported, and its context goes into the record's
 * headers, so the trace UI shows the request from the client on. Without, the record carries a fresh
 * random {@code traceparent} (no span is recorded by the CLI; the worker's spans still join it).
 */
final class CliTracing implements AutoCloseable {

    private final SdkTracerProvider provider;   // null: not exporting
    private final Tracer tracer;

    private CliTracing(SdkTracerProvider provider) {
        this.provider = provider;
        this.tracer = provider == null ? null : provider.get("dev.minitron.cli");
    }

    static CliTracing fromEnvironment() {
        return from(System.getenv());
    }

    static CliTracing from(Map<String, String> env) {
        SpanExporter exporter = null;
        String zipkin = env.get("MINITRON_TRACING_ZIPKIN_ENDPOINT");
        String otlp = env.get("MINITRON_TRACING_OTLP_ENDPOINT");
        if (zipkin != null && !zipkin.isBlank()) {
            exporter = ZipkinSpanExporter.builder().setSender(URLConnectionSender.create(zipkin)).build();
        } else if (otlp != null && !otlp.isBlank()) {
            exporter = OtlpHttpSpanExporter.builder().setEndpoint(otlp).build();
        }
        if (exporter == null) {
            return new CliTracing(null);
        }
        return new CliTracing(SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(
                        Attributes.of(AttributeKey.stringKey("service.name"), "minitron-cli"))))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
                .build());
    }

    /** A sent prompt record's span; {@link #acknowledged} ends it. */
    record Send(Span span, String traceparent) {
        void acknowledged(RecordMetadata metadata, Exception error) {
            if (error != null) {
                span.setStatus(StatusCode.ERROR, error.getClass().getSimpleName());
            } else if (metadata != null) {
                span.setAttribute("messaging.destination.partition.id", Integer.toString(metadata.partition()));
                span.setAttribute("messaging.kafka.offset", metadata.offset());
            }
            span.end();
        }

        String traceId() {
            return traceparent.substring(3, 35);
        }
    }

    /** Starts the record's PRODUCER span (when exporting) and puts its context into the record's headers. */
    Send onSend(ProducerRecord<String, String> record) {
        if (tracer == null) {
            String traceparent = PromptEvents.newTraceparent();
            record.headers().add("traceparent", traceparent.getBytes(StandardCharsets.UTF_8));
            return new Send(Span.getInvalid(), traceparent);
        }
        Span span = tracer.spanBuilder("send " + record.topic())
                .setSpanKind(SpanKind.PRODUCER)
                .setNoParent()
                .setAttribute("messaging.system", "kafka")
                .setAttribute("messaging.operation.type", "send")
                .setAttribute("messaging.operation.name", "send")
                .setAttribute("messaging.destination.name", record.topic())
                .setAttribute("messaging.kafka.message.key", record.key())
                .startSpan();
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), record,
                (r, key, value) -> r.headers().add(key, value.getBytes(StandardCharsets.UTF_8)));
        return new Send(span, "00-" + span.getSpanContext().getTraceId() + "-" + span.getSpanContext().getSpanId()
                + "-" + span.getSpanContext().getTraceFlags().asHex());
    }

    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(5, TimeUnit.SECONDS);
        }
    }
}
