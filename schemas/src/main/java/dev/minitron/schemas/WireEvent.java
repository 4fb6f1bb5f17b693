package dev.minitron.schemas;

/** An event on one of the Minitron topics. Every record is keyed by {@link #id()}, UTF-8. */
public sealed interface WireEvent
        permits PromptEvent, TokenEvent, CompletionEvent, ErrorEvent, CancelEvent {

    /** The longest request id, in characters (Unicode code points). */
    int MAX_ID_LENGTH = 256;

    /** The request id; null only on an {@link ErrorEvent} for a record whose id could not be read. */
    String id();
}
