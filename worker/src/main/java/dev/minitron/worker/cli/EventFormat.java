package dev.minitron.worker.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** How the CLI shows a record: one JSON envelope per line, or one short line of text. */
final class EventFormat {

    private static final int PRETTY_VALUE_LIMIT = 200;

    private EventFormat() {}

    /** The record's value as JSON, or as a JSON string when it is not JSON. */
    static JsonNode value(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            return PromptEvents.JSON.nullNode();
        }
        try {
            return PromptEvents.JSON.readTree(record.value());
        } catch (JsonProcessingException e) {
            return TextNode.valueOf(record.value());
        }
    }

    /** The request id: the record key, else the value's {@code id} field. */
    static String id(ConsumerRecord<String, String> record, JsonNode value) {
        if (record.key() != null) {
            return record.key();
        }
        return value.hasNonNull("id") ? value.get("id").asText() : null;
    }

    /** {@code {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"headers":{..},"value":{..}}} */
    static String envelope(ConsumerRecord<String, String> record, JsonNode value) {
        ObjectNode line = PromptEvents.JSON.createObjectNode()
                .put("topic", record.topic())
                .put("partition", record.partition())
                .put("offset", record.offset())
                .put("timestamp", record.timestamp())
                .put("key", record.key());
        Iterator<Header> headers = record.headers().iterator();
        if (headers.hasNext()) {
            ObjectNode h = line.putObject("headers");
            headers.forEachRemaining(header -> h.put(header.key(),
                    header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8)));
        }
        line.set("value", value);
        return line.toString();
    }

    /** e.g. {@code tokens       hello-1  attempt=0 seq=3 text=" Paris" trace=4bf92f35…} (the traceparent's trace id) */
    static String pretty(ConsumerRecord<String, String> record, JsonNode value) {
        String line = prettyValue(record, value);
        Header traceparent = record.headers().lastHeader("traceparent");
        if (traceparent != null && traceparent.value() != null && traceparent.value().length >= 35) {
            line += " trace=" + new String(traceparent.value(), 3, 32, StandardCharsets.US_ASCII);
        }
        return line;
    }

    private static String prettyValue(ConsumerRecord<String, String> record, JsonNode value) {
        String topic = record.topic().startsWith("minitron.") ? record.topic().substring("minitron.".length())
                : record.topic();
        var line = new StringBuilder(String.format("%-12s %s ", topic, id(record, value)));
        if (!value.isObject()) {
            return line.append(truncate(value.toString())).toString();
        }
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            if (field.getKey().equals("id")) {
                continue;
            }
            JsonNode v = field.getValue();
            if (v.isObject()) {
                v.properties().forEach(inner -> line.append(' ').append(inner.getKey()).append('=')
                        .append(truncate(inner.getValue().toString())));
            } else {
                line.append(' ').append(field.getKey()).append('=').append(truncate(v.toString()));
            }
        }
        return line.toString();
    }

    private static String truncate(String s) {
        return s.length() <= PRETTY_VALUE_LIMIT ? s : s.substring(0, PRETTY_VALUE_LIMIT) + "…";
    }
}
