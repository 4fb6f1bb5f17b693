package dev.minitron.worker.cli;

import java.io.PrintStream;
import java.util.TreeMap;

/**
 * Writes one request's token deltas in {@code seq} order, for its newest {@code attempt}: a
 * redelivered request starts again at seq 0 with a higher attempt, and older attempts are dropped.
 * The completion's full text settles the output, since tokens and completions travel on different
 * topics and the completion may arrive before the last tokens.
 */
final class TokenStream {

    private final PrintStream out;
    private final PrintStream err;
    private final TreeMap<Integer, String> early = new TreeMap<>(); // seq → text, waiting for a gap
    private final StringBuilder printed = new StringBuilder();
    private int attempt = -1;
    private int nextSeq;
    private int tokens;

    TokenStream(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** {@code seq < 0} means the event had none: take it in arrival order. */
    void onToken(int attempt, int seq, String text) {
        if (!follow(attempt)) {
            return;
        }
        int at = seq < 0 ? Math.max(nextSeq, early.isEmpty() ? nextSeq : early.lastKey() + 1) : seq;
        if (at < nextSeq) {
            return; // a duplicate
        }
        early.put(at, text == null ? "" : text);
        while (early.containsKey(nextSeq)) {
            emit(early.remove(nextSeq));
            nextSeq++;
            tokens++;
        }
    }

    /** Prints what the streamed deltas of {@code attempt} lacked of its final text; false if the attempt is stale. */
    boolean onCompletion(int attempt, String text) {
        if (!follow(attempt)) {
            return false;
        }
        if (text != null) {
            if (text.startsWith(printed.toString())) {
                emit(text.substring(printed.length()));
            } else {
                out.println();
                err.println("[the streamed tokens differ from the completion's text; the completion's text:]");
                emit(text);
            }
        }
        if (!printed.isEmpty()) {
            out.println();
        }
        out.flush();
        return true;
    }

    int tokensSeen() {
        return tokens;
    }

    int attempt() {
        return attempt;
    }

    private boolean follow(int attempt) {
        if (attempt < this.attempt) {
            return false;
        }
        if (attempt > this.attempt) {
            if (!printed.isEmpty()) {
                out.println();
                err.printf("[attempt %d: the request was redelivered to a worker; its output starts again]%n", attempt);
            }
            this.attempt = attempt;
            nextSeq = 0;
            tokens = 0;
            early.clear();
            printed.setLength(0);
        }
        return true;
    }

    private void emit(String text) {
        printed.append(text);
        out.print(text);
        out.flush();
    }
}
