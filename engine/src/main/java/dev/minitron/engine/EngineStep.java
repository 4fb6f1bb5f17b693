package dev.minitron.engine;

/**
 * What one engine step did, for an {@link EngineObserver}.
 *
 * @param number         the step's number (1, 2, …), counting steps that scheduled something
 * @param startNanos     {@link System#nanoTime()} when the step began (before scheduling)
 * @param endNanos       when its outputs had been handed to the sinks
 * @param numTokens      tokens computed (prefill chunks plus decodes)
 * @param numPrefillTokens of them, prompt tokens (a sequence still catching up with its prompt)
 * @param numPreempted   sequences preempted while scheduling this step
 * @param requestIds     the batch: one id per scheduled sequence, in batch order
 * @param failed         the model step threw; its sequences were ended with an error
 */
public record EngineStep(long number, long startNanos, long endNanos, int numTokens, int numPrefillTokens,
                         int numPreempted, String[] requestIds, boolean failed) {

    public long durationNanos() {
        return endNanos - startNanos;
    }
}
