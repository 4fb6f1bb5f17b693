package dev.minitron.worker.cli;

/** The command line is wrong; the message says how (exit code 2, no stack trace). */
public final class UsageException extends Exception {

    public UsageException(String message) {
        super(message);
    }
}
