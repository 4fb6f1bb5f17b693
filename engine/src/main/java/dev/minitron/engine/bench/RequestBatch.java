package dev.minitron.engine.bench;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Hands a set of prompts to an engine at once and waits until every one has finished, keeping each
 * request's host-clock timings (submitted, first token, finished) as seen by its sink on the engine
 * thread. The benchmarks' one way to drive {@link LlmEngine}: greedy, exactly {@code maxTokens}
 * generated tokens per request (EOS ignored), so every backend does the same amount of work.
 */
final class RequestBatch {

    /** One request's outcome; times are {@link System#nanoTime()} readings. */
    record Timing(long submittedNanos, long firstTokenNanos, long finishedNanos, int outputTokens,
                  FinishReason reason, String error) {

        double ttftMillis() {
            return (firstTokenNanos - submittedNanos) / 1e6;
        }

        /** Mean time per output token after the first (the decode rate); NaN with fewer than two tokens. */
        double decodeMillisPerToken() {
            return outputTokens < 2 ? Double.NaN : (finishedNanos - firstTokenNanos) / 1e6 / (outputTokens - 1);
        }
    }

    /** All requests' timings and the wall time from the first submission to the last finish. */
    record Result(List<Timing> timings, long startNanos, long endNanos) {

        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        long outputTokens() {
            return timings.stream().mapToLong(Timing::outputTokens).sum();
        }

        /** The first failure (a finish reason other than LENGTH), or null if every request ran to its length. */
        String firstProblem() {
            for (Timing t : timings) {
                if (t.reason() != FinishReason.LENGTH) {
                    return t.reason() + (t.error() == null ? "" : ": " + t.error());
                }
            }
            return null;
        }
    }

    private static long sequence;

    private RequestBatch() {
    }

    static SamplingParams greedy(int maxTokens) {
        return SamplingParams.builder().maxTokens(maxTokens).temperature(0).ignoreEos(true).build();
    }

    /**
     * Submits one request per prompt, all at once, each generating {@code maxTokens} tokens, and
     * waits for all of them (at most {@code timeoutSeconds}).
     */
    static Result run(LlmEngine engine, List<int[]> prompts, int maxTokens, long timeoutSeconds)
            throws InterruptedException, TimeoutException {
        int n = prompts.size();
        long[] submitted = new long[n];
        long[] first = new long[n];
        Timing[] done = new Timing[n];
        CountDownLatch latch = new CountDownLatch(n);
        SamplingParams params = greedy(maxTokens);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int index = i;
            submitted[i] = System.nanoTime();
            engine.addRequest(new EngineRequest("bench-" + (sequence++) + "-" + i, prompts.get(i), params), out -> {
                long now = System.nanoTime();
                if (out instanceof RequestOutput.TokenDelta && first[index] == 0) {
                    first[index] = now;
                } else if (out instanceof RequestOutput.Finished f) {
                    long firstToken = first[index] == 0 ? now : first[index];
                    done[index] = new Timing(submitted[index], firstToken, now, f.completionTokens(), f.reason(),
                            f.errorMessage());
                    latch.countDown();
                }
            });
        }
        if (!latch.await(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new TimeoutException((latch.getCount()) + " of " + n + " requests unfinished after "
                    + timeoutSeconds + " s");
        }
        long end = 0;
        List<Timing> timings = new ArrayList<>(n);
        for (Timing t : done) {
            timings.add(t);
            end = Math.max(end, t.finishedNanos());
        }
        return new Result(timings, start, end);
    }
}
