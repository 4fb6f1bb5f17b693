package dev.minitron.worker.cli;

/** An expected failure (Kafka unreachable, a missing topic, an error answer): message and exit code, no stack trace. */
final class CliException extends RuntimeException {

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
