package dev.minitron.engine.backend.cpu;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The backend's own worker threads, used to split loops over output rows or attention heads.
 *
 * <p>A decode step runs about a hundred short parallel loops (one per matmul), so starting and
 * joining a loop must cost microseconds. The workers are persistent and spin briefly between loops
 * (the next matmul usually follows at once) before parking; the calling thread works too. Pieces
 * are claimed from one counter tagged with the loop's number, and the caller waits for the pieces
 * to be done, not for every worker to show up: on cores shared with other processes a descheduled
 * worker simply takes no part, and one that wakes late cannot claim a piece of a later loop.
 */
final class Parallel implements AutoCloseable {

    /** The body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    interface RangeBody {
        void run(int from, int to);
    }

    /** How long an idle thread polls before parking. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final Thread[] workers;
    /** (loop number << 32) | next unclaimed index of that loop. */
    private final AtomicLong claims = new AtomicLong();
    /** Indices of the current loop that are done. */
    private final AtomicInteger done = new AtomicInteger();
    private volatile Job job = new Job(0, null, 0, 1); // the current loop, read whole by a worker
    private volatile boolean closed;
    private volatile Thread waiter;     // the caller, while parked waiting for the last pieces
    private volatile Throwable failure;

    /** One parallel loop; a worker only claims pieces while {@link #claims} carries its number. */
    private record Job(int number, RangeBody body, int count, int grain) {
    }

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

    /** Runs {@code body} over {@code [0, count)} in pieces of at most {@code grain}, and waits. Not reentrant. */
    void forRange(int count, int grain, RangeBody body) {
        if (workers.length == 0 || count <= grain) {
            body.run(0, count);
            return;
        }
        if (closed) {
            throw new IllegalStateException("closed");
        }
        Job j = new Job(job.number() + 1, body, count, Math.max(1, grain));
        failure = null;
        done.set(0);
        claims.set((long) j.number() << 32);
        job = j;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        runPieces(j);
        awaitDone(count);
        Throwable t = failure;
        if (t instanceof RuntimeException e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        }
    }

    /** Claims and runs pieces of {@code j} until none are left. */
    private void runPieces(Job j) {
        int count = j.count();
        while (true) {
            long c = claims.get();
            int from = (int) c;
            if ((int) (c >>> 32) != j.number() || from >= count) {
                return;
            }
            if (!claims.compareAndSet(c, c + j.grain())) {
                continue;
            }
            int to = Math.min(count, from + j.grain());
            try {
                j.body().run(from, to);
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (done.addAndGet(to - from) == count) {
                    Thread w = waiter;
                    if (w != null) {
                        LockSupport.unpark(w);
                    }
                }
            }
        }
    }

    private void awaitDone(int count) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (done.get() != count && System.nanoTime() < spinUntil) {
            Thread.onSpinWait();
        }
        if (done.get() != count) {
            waiter = Thread.currentThread();
            while (done.get() != count) {
                LockSupport.parkNanos(this, 100_000);
            }
            waiter = null;
        }
    }

    private void work() {
        int seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (job.number() == seen && !closed) {
                if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            Job j = job;
            seen = j.number();
            runPieces(j);
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
