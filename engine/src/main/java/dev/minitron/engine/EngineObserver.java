package dev.minitron.engine;

/**
 * Hooks into what the engine does, for tracing and metrics kept outside the engine. Called on the
 * engine thread, between steps' work: an observer must return quickly and must not throw (a throw is
 * logged and the engine goes on). Times are {@link System#nanoTime()} readings.
 */
public interface EngineObserver {

    /** Observes nothing; the engine skips building what it would report. */
    EngineObserver NONE = new EngineObserver() {
    };

    /** A request was scheduled for the first time: its wait in the queue ended. */
    default void scheduled(String requestId, long nanoTime) {
    }

    /** A running request lost its KV blocks to make room and went back to waiting (recompute). */
    default void preempted(String requestId, long nanoTime) {
    }

    /** One step ran the model (or failed to). */
    default void stepFinished(EngineStep step) {
    }
}
