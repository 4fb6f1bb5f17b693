package dev.minitron.engine.tokenizer;

/**
 * A tokenizer file that cannot be used: corrupt protobuf, inconsistent vocabulary, or a model kind
 * this package does not implement. The message says what is wrong and, once loaded from disk, which
 * file it came from.
 */
public final class InvalidModelException extends IllegalArgumentException {

    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
