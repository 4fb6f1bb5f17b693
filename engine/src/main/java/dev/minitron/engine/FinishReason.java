package dev.minitron.engine;

/** Why a request ended; the wire names are the lower-case constant names. */
public enum FinishReason {
    /** EOS, a stop token id or a stop string. */
    STOP,
    /** {@code max_tokens} or the model's context length. */
    LENGTH,
    /** Past its deadline, before or during generation. */
    TIMEOUT,
    /** Aborted by its client or by the worker (e.g. a revoked partition). */
    CANCELLED,
    /** The engine could not serve it; the output says why. */
    ERROR;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
