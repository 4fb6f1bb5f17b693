package dev.minitron.schemas;

/** Kafka record headers that carry W3C Trace Context from the producer to every answer. */
public final class TraceHeaders {
    public static final String TRACEPARENT = "traceparent";
    public static final String TRACESTATE = "tracestate";

    private TraceHeaders() {}
}
