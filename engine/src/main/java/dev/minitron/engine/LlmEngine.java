package dev.minitron.engine;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.structured.GrammarCompiler;
import dev.minitron.engine.structured.TokenVocabulary;
import dev.minitron.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One engine on one device: a thread that owns an {@link EngineCore} and loops
 * {@code step()}. Other threads hand requests in through a bounded queue ({@link #addRequest}) and
 * aborts through another ({@link #abort}); outputs reach each request's {@link RequestSink} on the
 * engine thread. No locks inside the engine.
 */
public final class LlmEngine implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LlmEngine.class.getName());
    private static final long IDLE_POLL_MILLIS = 50;
    /** Steps failing in a row that mean the device is gone rather than one bad batch. */
    static final int MAX_CONSECUTIVE_FAILURES = 3;

    private record Submission(EngineRequest request, RequestSink sink) {
    }

    private record Abort(String requestId, FinishReason reason) {
    }

    private final Backend backend;
    private final Tokenizer tokenizer;
    private final EngineCore core;
    private final BlockingQueue<Submission> inbox;
    private final ConcurrentLinkedQueue<Abort> aborts = new ConcurrentLinkedQueue<>();
    private final List<Abort> lateAborts = new ArrayList<>();   // engine thread only
    private final Thread thread;
    private volatile GrammarCompiler grammarCompiler;
    private volatile boolean running = true;
    private volatile long heartbeatNanos = System.nanoTime();
    private volatile EngineStats stats;

    public LlmEngine(Backend backend, Tokenizer tokenizer, EngineConfig config) {
        this(backend, tokenizer, config, EngineObserver.NONE);
    }

    /** An engine that reports its scheduling and steps to {@code observer} (tracing, metrics). */
    public LlmEngine(Backend backend, Tokenizer tokenizer, EngineConfig config, EngineObserver observer) {
        this.backend = backend;
        this.tokenizer = tokenizer;
        this.core = new EngineCore(backend, tokenizer, config, observer);
        this.inbox = new ArrayBlockingQueue<>(config.maxQueuedRequests());
        this.stats = core.stats(0, heartbeatNanos, true);
        this.thread = Thread.ofPlatform().name("minitron-engine").daemon(true).unstarted(this::loop);
        thread.start();
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The structured-output compiler for this model's vocabulary, built on first use (the vocabulary
     * trie takes a moment on a 256k vocabulary). Compile on the caller's thread, never the engine's.
     */
    public GrammarCompiler grammarCompiler() {
        GrammarCompiler c = grammarCompiler;
        if (c == null) {
            synchronized (this) {
                c = grammarCompiler;
                if (c == null) {
                    c = new GrammarCompiler(TokenVocabulary.of(tokenizer, backend.modelConfig().vocabSize()));
                    grammarCompiler = c;
                }
            }
        }
        return c;
    }

    public Backend backend() {
        return backend;
    }

    public int maxModelLen() {
        return core.maxModelLen();
    }

    /**
     * Hands a request to the engine. Its outputs go to {@code sink}, ending with exactly one
     * {@link RequestOutput.Finished} — unless the engine dies, in which case requests inside it get
     * no answer at all (so a caller that commits on answers leaves them for redelivery).
     *
     * @throws RejectedExecutionException when the queue is full (try again later)
     * @throws IllegalStateException      when the engine is closed or dead
     */
    public void addRequest(EngineRequest request, RequestSink sink) {
        if (!running) {
            throw new IllegalStateException("the engine is not running");
        }
        if (!inbox.offer(new Submission(request, sink))) {
            throw new RejectedExecutionException("the engine queue is full");
        }
    }

    /** Ends a request within one step; {@code reason} is CANCELLED or TIMEOUT. */
    public void abort(String requestId, FinishReason reason) {
        aborts.add(new Abort(requestId, reason));
    }

    public EngineStats stats() {
        return stats;
    }

    private void loop() {
        boolean died = false;
        try {
            while (running) {
                heartbeatNanos = System.nanoTime();
                takeCommands();
                boolean worked = core.step();
                stats = core.stats(inbox.size(), heartbeatNanos, true);
                if (core.consecutiveFailures() >= MAX_CONSECUTIVE_FAILURES) {
                    LOG.log(System.Logger.Level.ERROR, "the model failed {0} steps in a row: the engine stops",
                            core.consecutiveFailures());
                    died = true;
                    break;
                }
                if (!worked) {
                    waitForWork();
                }
            }
        } catch (InterruptedException e) {
            // close(): answer what is left below
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "engine loop died", t);
            died = true;
        } finally {
            running = false;
            if (!died) {
                takeCommands();
                core.abortAll(FinishReason.CANCELLED);
            }
            stats = core.stats(inbox.size(), heartbeatNanos, false);
        }
    }

    /**
     * New requests first, then aborts. An abort for an id not (yet) inside may have overtaken its
     * request between the two queues, so it is kept for one more round.
     */
    private void takeCommands() {
        Submission s;
        while ((s = inbox.poll()) != null) {
            core.add(s.request(), s.sink());
        }
        List<Abort> missed = List.copyOf(lateAborts);
        lateAborts.clear();
        for (Abort a : missed) {
            core.abort(a.requestId(), a.reason());
        }
        Abort a;
        while ((a = aborts.poll()) != null) {
            if (!core.abort(a.requestId(), a.reason())) {
                lateAborts.add(a);
            }
        }
    }

    private void waitForWork() throws InterruptedException {
        Submission s = inbox.poll(IDLE_POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (s != null) {
            core.add(s.request(), s.sink());
        }
    }

    /** Stops the loop; requests still inside are answered CANCELLED. Does not close the backend. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
