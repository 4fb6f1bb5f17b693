package dev.minitron.engine.backend.cpu;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend's own worker threads, used to split loops over output rows or attention heads.
 *
 * <p>A decode step runs about a hundred short parallel loops (one per matmul), so the cost of
 * starting a loop matters as much as the loop: the workers are persistent, they spin briefly
 * between loops (the next matmul usually follows within microseconds) and only then park, and the
 * calling thread takes pieces too. Pieces are claimed from one atomic counter, so a thread that
 * the OS delays (other processes on the same cores) simply claims fewer of them.
 */
final class Parallel implements AutoCloseable {

    /** The body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** How long an idle worker polls for the next loop before parking. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);

    private final Thread[] workers;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private volatile long epoch;
    private volatile boolean closed;
    private RangeBody body;    // published by the write of epoch
    private int count;
    private int grain;
    private volatile Throwable failure;

    Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("minitron-cpu-" + (i + 1)).unstarted(this::work);
            workers[i].start();
        }
    }

    int threads() {
        return workers.length + 1;
    }

    /** Runs {@code body} over {@code [0, count)} in pieces of at most {@code grain}, and waits. */
    void forRange(int count, int grain, RangeBody body) {
        if (workers.length == 0 || count <= grain) {
            body.run(0, count);
            return;
        }
        if (closed) {
            throw new IllegalStateException("closed");
        }
        this.body = body;
        this.count = count;
        this.grain = Math.max(1, grain);
        this.failure = null;
        next.set(0);
        running.set(workers.length);
        epoch = epoch + 1; // publishes body/count/grain to the workers
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        try {
            claimPieces(body, count, this.grain);
        } finally {
            while (running.get() != 0) {
                Thread.onSpinWait();
            }
            this.body = null;
        }
        Throwable t = failure;
        if (t instanceof RuntimeException e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        }
    }

    private void claimPieces(RangeBody body, int count, int grain) {
        for (int from = next.getAndAdd(grain); from < count; from = next.getAndAdd(grain)) {
            body.run(from, Math.min(count, from + grain));
        }
    }

    private void work() {
        long seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (epoch == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = epoch;
            try {
                claimPieces(body, count, grain);
            } catch (Throwable t) {
                failure = t;
                next.set(Integer.MAX_VALUE / 2); // stop the others claiming more
            } finally {
                running.decrementAndGet();
            }
        }
    }

    /** A grain giving each thread about {@code piecesPerThread} pieces, clamped to [1, max]. */
    int grain(int count, int piecesPerThread, int max) {
        int pieces = threads() * piecesPerThread;
        return Math.clamp((count + pieces - 1) / pieces, 1, max);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
