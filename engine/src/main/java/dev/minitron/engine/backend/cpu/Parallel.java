package dev.minitron.engine.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/** The backend's own worker threads, used to split loops over output rows or attention heads. */
final class Parallel implements AutoCloseable {

    /** The body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    private final ForkJoinPool pool;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.pool = threads == 1 ? null : new ForkJoinPool(threads);
    }

    int threads() {
        return pool == null ? 1 : pool.getParallelism();
    }

    /** Runs {@code body} over {@code [0, count)} in pieces of at most {@code grain}, and waits. */
    void forRange(int count, int grain, RangeBody body) {
        if (pool == null || count <= grain) {
            body.run(0, count);
        } else {
            pool.invoke(new Split(body, 0, count, Math.max(1, grain)));
        }
    }

    /** A grain giving each thread about {@code piecesPerThread} pieces, clamped to [1, max]. */
    int grain(int count, int piecesPerThread, int max) {
        int pieces = threads() * piecesPerThread;
        return Math.clamp((count + pieces - 1) / pieces, 1, max);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }

    private static final class Split extends RecursiveAction {
        private final RangeBody body;
        private final int from;
        private final int to;
        private final int grain;

        Split(RangeBody body, int from, int to, int grain) {
            this.body = body;
            this.from = from;
            this.to = to;
            this.grain = grain;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                body.run(from, to);
                return;
            }
            int mid = (from + to) >>> 1;
            invokeAll(new Split(body, from, mid, grain), new Split(body, mid, to, grain));
        }
    }
}
