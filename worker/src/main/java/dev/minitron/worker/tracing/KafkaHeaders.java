package dev.minitron.worker.tracing;

import dev.minitron.schemas.TraceHeaders;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * W3C Trace Context in Kafka record headers ({@link TraceHeaders}: {@code traceparent},
 * {@code tracestate}), read from prompt records and written onto every answer.
 */
public final class KafkaHeaders {

    private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            headers.forEach(h -> keys.add(h.key()));
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            Header h = headers == null ? null : headers.lastHeader(key);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    };

    private KafkaHeaders() {}

    /** The remote context a record carries, under {@code parent}; {@code parent} itself when it carries none (or a broken one). */
    public static Context extract(Context parent, Headers headers) {
        return W3C.extract(parent, headers, GETTER);
    }

    /** The headers that carry {@code context} (none when it holds no valid span context). */
    public static List<Header> of(Context context) {
        List<Header> headers = new ArrayList<>(2);
        W3C.inject(context, headers, (carrier, key, value) ->
                carrier.add(new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8))));
        return List.copyOf(headers);
    }

    /** The {@code traceparent} of a record, or null. */
    public static String traceparent(Headers headers) {
        return GETTER.get(headers, TraceHeaders.TRACEPARENT);
    }
}
