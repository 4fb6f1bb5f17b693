package dev.minitron.schemas.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * RFC 3339 date-times as {@link Instant}s, without the jackson-datatype-jsr310 module. Reads
 * any offset and the lower-case {@code t}/{@code z} that RFC 3339 allows; writes UTC with a
 * {@code Z}, e.g. {@code 2026-01-01T12:00:00Z}.
 */
public final class Rfc3339 {
    private Rfc3339() {}

    /**
     * @throws DateTimeParseException if {@code text} is not an RFC 3339 date-time
     */
    public static Instant parse(String text) {
        return Instant.parse(text.toUpperCase(Locale.ROOT));
    }

    public static String format(Instant instant) {
        return instant.toString();
    }

    public static final class Serializer extends StdSerializer<Instant> {
        public Serializer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider)
                throws IOException {
            gen.writeString(format(value));
        }
    }

    public static final class Deserializer extends StdDeserializer<Instant> {
        public Deserializer() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return (Instant) ctxt.handleUnexpectedToken(Instant.class, p);
            }
            String text = p.getText();
            try {
                return parse(text);
            } catch (DateTimeParseException e) {
                return (Instant) ctxt.handleWeirdStringValue(Instant.class, text,
                        "not an RFC 3339 date-time such as 2026-01-01T12:00:00Z");
            }
        }
    }
}
