package dev.minitron.schemas.kafka;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.minitron.schemas.json.WireJson;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * UTF-8 JSON for one event type, as a Kafka serializer, deserializer and serde in one. A null
 * value (a tombstone) passes through as null both ways. A value that cannot be read fails with a
 * {@link SerializationException} whose cause says why. Thread-safe.
 *
 * <p>Subclasses with a no-argument constructor ({@link MinitronSerdes.Completions} and its
 * siblings) let Kafka and Kafka Streams configure one by class name.
 */
public class JsonSerde<T> implements Serializer<T>, Deserializer<T>, Serde<T> {

    /** Reads one value; may throw anything, which becomes a {@link SerializationException}. */
    @FunctionalInterface
    public interface Reader<T> {
        T read(byte[] value) throws Exception;
    }

    private final Class<T> type;
    private final ObjectWriter writer;
    private final Reader<T> reader;

    /** Reads with the wire mapper: unknown fields are ignored, the records' invariants hold. */
    protected JsonSerde(Class<T> type) {
        this(type, wireReader(type));
    }

    protected JsonSerde(Class<T> type, Reader<T> reader) {
        this.type = Objects.requireNonNull(type, "type");
        this.writer = WireJson.writer().forType(type);
        this.reader = Objects.requireNonNull(reader, "reader");
    }

    /** Reads with the wire mapper: unknown fields are ignored, the records' invariants hold. */
    public static <T> JsonSerde<T> of(Class<T> type) {
        return new JsonSerde<>(type);
    }

    /** Writes with the wire mapper, reads with {@code reader} (e.g. a strict decoder). */
    public static <T> JsonSerde<T> of(Class<T> type, Reader<T> reader) {
        return new JsonSerde<>(type, reader);
    }

    private static <T> Reader<T> wireReader(Class<T> type) {
        ObjectReader objectReader = WireJson.reader().forType(type);
        return objectReader::readValue;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        try {
            return writer.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new SerializationException(
                    "cannot write a " + type.getSimpleName() + " for topic " + topic, e);
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return reader.read(data);
        } catch (Exception e) {
            throw new SerializationException("cannot read a " + type.getSimpleName() + " from topic "
                    + topic + ": " + reason(e), e);
        }
    }

    /** The records' own check if one failed, else Jackson's message without its location noise. */
    private static String reason(Exception e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof IllegalArgumentException invariant) {
                return invariant.getMessage();
            }
        }
        return e instanceof JacksonException jackson ? jackson.getOriginalMessage() : e.getMessage();
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
}
