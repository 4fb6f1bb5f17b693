package dev.minitron.schemas.kafka;

import dev.minitron.schemas.CancelEvent;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.TokenEvent;
import dev.minitron.schemas.decode.PromptDecoder;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The serdes of the Minitron topics, like Kafka's {@link Serdes}: keys are the request id as
 * UTF-8, values are JSON. Prompts are read strictly, through the {@link PromptDecoder}; the
 * output events are read leniently (unknown fields ignored), so consumers survive additive
 * changes. Each nested class is the same serde with a no-argument constructor, for configuring
 * Kafka by class name.
 */
public final class MinitronSerdes {
    private MinitronSerdes() {}

    /** The key of every record: the request id, UTF-8. */
    public static Serde<String> key() {
        return Serdes.String();
    }

    public static JsonSerde<PromptEvent> prompts() {
        return new Prompts();
    }

    public static JsonSerde<PromptEvent> prompts(PromptDecoder decoder) {
        return JsonSerde.of(PromptEvent.class, decoder::decode);
    }

    public static JsonSerde<TokenEvent> tokens() {
        return new Tokens();
    }

    public static JsonSerde<CompletionEvent> completions() {
        return new Completions();
    }

    public static JsonSerde<ErrorEvent> errors() {
        return new Errors();
    }

    public static JsonSerde<CancelEvent> cancels() {
        return new Cancels();
    }

    public static final class Prompts extends JsonSerde<PromptEvent> {
        public Prompts() {
            super(PromptEvent.class, new PromptDecoder()::decode);
        }
    }

    public static final class Tokens extends JsonSerde<TokenEvent> {
        public Tokens() {
            super(TokenEvent.class);
        }
    }

    public static final class Completions extends JsonSerde<CompletionEvent> {
        public Completions() {
            super(CompletionEvent.class);
        }
    }

    public static final class Errors extends JsonSerde<ErrorEvent> {
        public Errors() {
            super(ErrorEvent.class);
        }
    }

    public static final class Cancels extends JsonSerde<CancelEvent> {
        public Cancels() {
            super(CancelEvent.class);
        }
    }
}
