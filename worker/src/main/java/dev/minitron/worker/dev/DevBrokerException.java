package dev.minitron.worker.dev;

/** The dev broker could not start or stopped unexpectedly; the message says why and what to do. */
public final class DevBrokerException extends RuntimeException {

    public DevBrokerException(String message) {
        super(message);
    }

    public DevBrokerException(String message, Throwable cause) {
        super(message, cause);
    }
}
