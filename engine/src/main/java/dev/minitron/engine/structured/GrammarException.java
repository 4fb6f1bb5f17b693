package dev.minitron.engine.structured;

/**
 * A structured-output request the engine will not constrain: a schema keyword outside the
 * supported subset, a regex or grammar that does not parse, or a language too large or empty.
 * Thrown at admission, before the request reaches the engine.
 */
public final class GrammarException extends RuntimeException {

    /** What is wrong; each maps to a wire error code. */
    public enum Kind {
        /** A JSON Schema keyword or form outside the supported subset (wire: {@code unsupported_schema}). */
        UNSUPPORTED_SCHEMA,
        /** A regex or grammar with a syntax error (wire: {@code invalid_request}). */
        SYNTAX,
        /** No output at all satisfies it (wire: {@code invalid_request}). */
        EMPTY,
        /** Larger than the compiler's limits (wire: {@code invalid_request}). */
        TOO_LARGE
    }

    private final Kind kind;
    private final int position;

    /** @param position the offending character's index in the regex or grammar text, or −1 */
    public GrammarException(Kind kind, String message, int position) {
        super(message);
        this.kind = kind;
        this.position = position;
    }

    public Kind kind() {
        return kind;
    }

    public int position() {
        return position;
    }
}
