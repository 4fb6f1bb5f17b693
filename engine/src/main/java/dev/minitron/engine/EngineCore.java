package dev.minitron.engine;

import dev.minitron.engine.RequestOutput.Finished;
import dev.minitron.engine.RequestOutput.TokenDelta;
import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.DeviceSampling;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.kv.KvCacheManager;
import dev.minitron.engine.output.OutputProcessor;
import dev.minitron.engine.sample.Logprobs;
import dev.minitron.engine.sample.Sampler;
import dev.minitron.engine.sample.TokenLogprobs;
import dev.minitron.engine.sched.Scheduler;
import dev.minitron.engine.sched.SchedulerOutput;
import dev.minitron.engine.sched.Sequence;
import dev.minitron.engine.structured.GrammarMatcher;
import dev.minitron.engine.structured.TokenMask;
import dev.minitron.engine.tokenizer.Tokenizer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The single-threaded heart of the engine: {@link #step()} is schedule → run the model → sample →
 * postprocess. Not thread-safe; {@link LlmEngine} gives it a thread.
 */
public final class EngineCore {

    private static final System.Logger LOG = System.getLogger(EngineCore.class.getName());
    /**
     * Steps in a row that may schedule nothing while requests wait before the watchdog fails the
     * first waiting request. The scheduler never stalls more than one step (see {@link Scheduler}),
     * so reaching this means a bug (such as leaked KV blocks); failing one request keeps the engine
     * answering the others instead of spinning.
     */
    static final int WATCHDOG_STALLED_STEPS = 3;

    private final Backend backend;
    private final Tokenizer tokenizer;
    private final KvCacheManager kv;
    private final Scheduler scheduler;
    private final int maxModelLen;
    private final EngineObserver observer;
    private final Map<String, Sequence> byId = new HashMap<>();
    private final SplittableRandom unseeded = new SplittableRandom();
    private long arrivals;
    private long steps;
    private long promptTokens;
    private long generationTokens;
    private long preemptions;
    private long scheduledTokens;
    private long watchdogFailures;
    private int consecutiveFailures;

    public EngineCore(Backend backend, Tokenizer tokenizer, EngineConfig config) {
        this(backend, tokenizer, config, EngineObserver.NONE);
    }

    public EngineCore(Backend backend, Tokenizer tokenizer, EngineConfig config, EngineObserver observer) {
        this.observer = observer;
        this.backend = backend;
        this.tokenizer = tokenizer;
        int modelLen = backend.modelConfig().maxPositionEmbeddings();
        int wanted = config.maxModelLen() == 0 ? modelLen : Math.min(config.maxModelLen(), modelLen);
        int numBlocks = KvSizing.numBlocks(backend, config, wanted);
        // A sequence must always fit in the whole pool, or it would preempt itself forever.
        this.maxModelLen = Math.min(wanted, numBlocks * config.blockSize());
        if (maxModelLen < wanted) {
            LOG.log(System.Logger.Level.WARNING, "the KV cache holds only {0} tokens: max_model_len lowered from {1}"
                    + " to {0}; give the engine more KV memory to serve the full context", maxModelLen, wanted);
        }
        backend.allocateKvCache(numBlocks, config.blockSize());
        this.kv = new KvCacheManager(numBlocks, config.blockSize(), config.enablePrefixCaching());
        this.scheduler = new Scheduler(kv, config.maxNumSeqs(), config.maxNumBatchedTokens(), config.starvationSteps());
        LOG.log(System.Logger.Level.INFO, "KV cache: {0} blocks of {1} tokens ({2} MiB), max_model_len {3},"
                + " prefix caching {4}", numBlocks, config.blockSize(),
                backend.kvBytesPerBlock(config.blockSize()) * numBlocks >> 20, maxModelLen,
                config.enablePrefixCaching() ? "on" : "off");
    }

    public int maxModelLen() {
        return maxModelLen;
    }

    public boolean hasWork() {
        return scheduler.hasWork();
    }

    /** Admits a request, or answers it at once with an error if it can never run. */
    public void add(EngineRequest request, RequestSink sink) {
        long now = System.nanoTime();
        int promptLen = request.promptTokenIds().length;
        String problem = null;
        String code = "invalid_request";
        if (byId.containsKey(request.requestId())) {
            problem = "request id " + request.requestId() + " is already in the engine";
            code = "duplicate_id";
        } else if (promptLen >= maxModelLen) {
            problem = "prompt has " + promptLen + " tokens; max_model_len is " + maxModelLen
                    + " (prompt plus at least one output token)";
            code = "prompt_too_long";
        } else if (!kv.fitsInPool(promptLen + 1)) {
            problem = "prompt has " + promptLen + " tokens; the KV cache holds only "
                    + kv.numBlocks() * kv.blockSize();
            code = "prompt_too_long";
        } else if (outOfVocab(request.promptTokenIds())) {
            problem = "prompt_token_ids must be in [0, " + backend.modelConfig().vocabSize() + ")";
        } else if (request.params().grammar() != null
                && request.params().grammar().vocabSize() != backend.modelConfig().vocabSize()) {
            problem = "the structured output was compiled for a vocabulary of " + request.params().grammar().vocabSize()
                    + " tokens; this model has " + backend.modelConfig().vocabSize();
        }
        if (problem != null) {
            long ms = 0;
            emit(sink, new Finished(request.requestId(), FinishReason.ERROR, "", new int[0], promptLen, 0, 0,
                    ms, null, ms, code, problem));
            return;
        }
        Long seed = request.params().seed();
        var rng = seed != null ? new SplittableRandom(seed) : unseeded.split();
        var output = new OutputProcessor(tokenizer, request.params(), maxModelLen);
        Sequence seq = new Sequence(request, sink, arrivals++, now, rng, output);
        promptTokens += promptLen;
        byId.put(request.requestId(), seq);
        scheduler.add(seq);
    }

    /** Ends a request at the next step boundary. Returns false for an id the engine does not hold. */
    public boolean abort(String requestId, FinishReason reason) {
        Sequence seq = byId.get(requestId);
        if (seq != null) {
            end(seq, reason, seq.output().finishExternally(), null, null);
        }
        return seq != null;
    }

    /**
     * Runs one step. Returns false when the engine is idle. A step that scheduled nothing while
     * work is held (a step that had to preempt everything) returns true so the loop does not wait
     * for new requests; the watchdog bounds how often that can repeat.
     */
    public boolean step() {
        long start = System.nanoTime();
        expireDeadlines();
        long now = System.nanoTime();
        SchedulerOutput plan = scheduler.schedule(now);
        preemptions += plan.numPreempted();
        String[] observed = observer == EngineObserver.NONE ? null : observeSchedule(plan, now);
        if (plan.isEmpty()) {
            if (scheduler.stalledSteps() >= WATCHDOG_STALLED_STEPS) {
                failStalled();
            }
            return scheduler.hasWork();
        }
        steps++;
        scheduledTokens += plan.totalTokens();
        float[][] logits = null;
        SampledTokens sampled = null;
        try {
            ForwardBatch batch = buildBatch(plan);
            if (backend instanceof DeviceSampling device && device.samplesOnDevice() && !anyConstrained(plan)) {
                sampled = device.forwardAndSample(batch, samplingRows(plan, batch.logitsIndices().length));
            } else {
                logits = backend.forward(batch);
            }
            consecutiveFailures = 0;
        } catch (RuntimeException e) {
            consecutiveFailures++;
            LOG.log(System.Logger.Level.ERROR, "model step failed (" + consecutiveFailures + " in a row); failing its "
                    + plan.sequences().size() + " sequences", e);
            for (Sequence seq : List.copyOf(plan.sequences())) {
                end(seq, FinishReason.ERROR, seq.output().finishExternally(), "engine_error",
                        "the model step failed: " + e.getClass().getSimpleName());
            }
            if (observed != null) {
                report(plan, observed, start, true, 0);
            }
            return true;
        }
        int prefillTokens = observed == null ? 0 : prefillTokens(plan);
        scheduler.commit(plan);
        int row = 0;
        for (int i = 0; i < plan.sequences().size(); i++) {
            Sequence seq = plan.sequences().get(i);
            if (seq.numComputedTokens() == seq.numTokens()) {
                int r = row++;
                try {
                    if (sampled != null) {
                        TokenLogprobs lp = sampled.logprobs() == null ? null : sampled.logprobs()[r];
                        emitToken(seq, sampled.tokens()[r], lp == null ? null : List.of(lp));
                    } else {
                        sampleAndEmit(seq, logits[r]);
                    }
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "sampling failed for one sequence; ending it", e);
                    if (seq.status() != dev.minitron.engine.sched.SequenceStatus.FINISHED) {
                        end(seq, FinishReason.ERROR, seq.output().finishExternally(), "engine_error",
                                "sampling failed: " + e.getClass().getSimpleName());
                    }
                }
            }
        }
        if (observed != null) {
            report(plan, observed, start, false, prefillTokens);
        }
        return true;
    }

    /**
     * Tells the observer which requests were scheduled for the first time or preempted, and
     * returns the batch's request ids (taken now: sequences may finish during the step).
     */
    private String[] observeSchedule(SchedulerOutput plan, long now) {
        for (Sequence seq : plan.preempted()) {
            notify(() -> observer.preempted(seq.requestId(), now));
        }
        String[] ids = new String[plan.sequences().size()];
        for (int i = 0; i < ids.length; i++) {
            Sequence seq = plan.sequences().get(i);
            ids[i] = seq.requestId();
            if (seq.firstScheduledNanos() == now) {
                notify(() -> observer.scheduled(seq.requestId(), now));
            }
        }
        return ids;
    }

    /** Prompt tokens in the plan: those a sequence computes before it reaches its prompt's end. */
    private static int prefillTokens(SchedulerOutput plan) {
        int n = 0;
        for (int i = 0; i < plan.sequences().size(); i++) {
            Sequence seq = plan.sequences().get(i);
            n += Math.max(0, Math.min(plan.numNewTokens()[i], seq.numPromptTokens() - seq.numComputedTokens()));
        }
        return n;
    }

    private void report(SchedulerOutput plan, String[] ids, long start, boolean failed, int prefillTokens) {
        var step = new EngineStep(steps, start, System.nanoTime(), plan.totalTokens(), prefillTokens,
                plan.numPreempted(), ids, failed);
        notify(() -> observer.stepFinished(step));
    }

    private static void notify(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "engine observer threw; the engine goes on", e);
        }
    }

    /** Model steps that failed in a row; the engine gives up (and stops answering) past a limit. */
    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    public EngineStats stats(int numQueued, long heartbeatNanos, boolean alive) {
        return new EngineStats(scheduler.numRunning(), scheduler.numWaiting(), numQueued, kv.numBlocks(),
                kv.numFreeBlocks(), steps, promptTokens, generationTokens, preemptions, heartbeatNanos, alive,
                scheduledTokens, kv.prefixCacheQueries(), kv.prefixCacheHits(), watchdogFailures);
    }

    /** For tests: the KV manager, to check its invariants. */
    KvCacheManager kvCacheManager() {
        return kv;
    }

    /**
     * The watchdog: the scheduler has scheduled nothing for several steps although requests wait,
     * so the first of them can never fit as things stand. It is answered with an error, which frees
     * the way for the rest.
     */
    private void failStalled() {
        Sequence stuck = scheduler.firstWaiting();
        if (stuck == null) {
            return;
        }
        watchdogFailures++;
        LOG.log(System.Logger.Level.ERROR, "watchdog: nothing could be scheduled for {0} steps with {1} of {2} KV"
                + " blocks free; failing the first waiting request", scheduler.stalledSteps(), kv.numFreeBlocks(),
                kv.numBlocks());
        end(stuck, FinishReason.ERROR, stuck.output().finishExternally(), "engine_stalled",
                "the engine could not schedule this request: " + kv.numFreeBlocks() + " of " + kv.numBlocks()
                        + " KV blocks free for " + stuck.numTokens() + " tokens");
    }

    /** Ends every request (engine shutdown). */
    public void abortAll(FinishReason reason) {
        for (Sequence seq : scheduler.all()) {
            end(seq, reason, seq.output().finishExternally(), null, null);
        }
    }

    /**
     * The sampling work of a device-sampling step, one row per sequence that samples, in the order
     * of the batch's logits rows. Each row carries one uniform draw from the sequence's own
     * generator, so a seeded request's tokens do not depend on its neighbours.
     */
    private SamplingRow[] samplingRows(SchedulerOutput plan, int numRows) {
        SamplingRow[] rows = new SamplingRow[numRows];
        int r = 0;
        for (int i = 0; i < plan.sequences().size(); i++) {
            if (plan.samples(i)) {
                Sequence seq = plan.sequences().get(i);
                rows[r++] = new SamplingRow(seq.params(), seq.rng().nextDouble(), seq.tokens(), seq.numPromptTokens(),
                        seq.numTokens());
            }
        }
        if (r != numRows) {
            throw new IllegalStateException(r + " sampling sequences for " + numRows + " logits rows");
        }
        return rows;
    }

    /**
     * Whether a step holds a structured-output row. Such a step samples on the host with the
     * verified CPU sampler, whatever the backend: the device sampler's bitmask path
     * ({@code apply_token_bitmask} in sampling.cu) is not the default until a GPU run has checked it.
     */
    private static boolean anyConstrained(SchedulerOutput plan) {
        for (int i = 0; i < plan.sequences().size(); i++) {
            if (plan.samples(i) && plan.sequences().get(i).grammar() != null) {
                return true;
            }
        }
        return false;
    }

    private void sampleAndEmit(Sequence seq, float[] row) {
        var params = seq.params();
        float[] raw = params.logprobs() != null ? row.clone() : null;
        GrammarMatcher grammar = seq.grammar();
        TokenMask mask = grammar == null ? null : grammar.allowedTokens();
        if (mask != null && mask.count() == 0) {
            end(seq, FinishReason.ERROR, seq.output().finishExternally(), "engine_error",
                    "structured output: no token of this vocabulary can continue the output");
            return;
        }
        int token = Sampler.sample(row, params, seq.tokens(), seq.numPromptTokens(), seq.numTokens(), seq.rng(), mask);
        if (grammar != null) {
            grammar.accept(token);
        }
        List<TokenLogprobs> logprobs = raw == null ? null : List.of(Logprobs.of(raw, token, params.logprobs()));
        emitToken(seq, token, logprobs);
    }

    private void emitToken(Sequence seq, int token, List<TokenLogprobs> logprobs) {
        long now = System.nanoTime();
        seq.appendToken(token, now);
        generationTokens++;
        var step = seq.output().onToken(token, seq.numOutputTokens(), seq.numTokens());
        emit(seq.sink(), new TokenDelta(seq.requestId(), seq.nextDeltaSeq(), new int[] {token}, step.delta(), logprobs));
        if (step.finishReason() != null) {
            end(seq, step.finishReason(), "", null, null);
        }
    }

    private void end(Sequence seq, FinishReason reason, String lastDelta, String errorCode, String errorMessage) {
        scheduler.finish(seq);
        byId.remove(seq.requestId());
        if (!lastDelta.isEmpty()) {
            emit(seq.sink(), new TokenDelta(seq.requestId(), seq.nextDeltaSeq(), new int[0], lastDelta, null));
        }
        long now = System.nanoTime();
        long scheduledAt = seq.firstScheduledNanos() == 0 ? now : seq.firstScheduledNanos();
        Long ttft = seq.firstTokenNanos() == 0 ? null : millis(seq.firstTokenNanos() - seq.arrivalNanos());
        emit(seq.sink(), new Finished(seq.requestId(), reason, seq.output().text(), seq.outputTokenIds(),
                seq.numPromptTokens(), seq.numOutputTokens(), seq.numCachedTokens(), millis(scheduledAt - seq.arrivalNanos()), ttft,
                millis(now - seq.arrivalNanos()), errorCode, errorMessage,
                seq.grammar() != null && !seq.grammar().isComplete()));
    }

    private void expireDeadlines() {
        if (byId.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        List<Sequence> expired = null;   // allocated only in a step where something expires
        for (Sequence seq : byId.values()) {
            if (seq.deadline() != null && now.isAfter(seq.deadline())) {
                if (expired == null) {
                    expired = new java.util.ArrayList<>();
                }
                expired.add(seq);
            }
        }
        if (expired != null) {
            for (Sequence seq : expired) {
                end(seq, FinishReason.TIMEOUT, seq.output().finishExternally(), null, null);
            }
        }
    }

    private ForwardBatch buildBatch(SchedulerOutput plan) {
        List<Sequence> seqs = plan.sequences();
        int total = plan.totalTokens();
        int[] tokenIds = new int[total];
        int[] positions = new int[total];
        int[] slots = new int[total];
        int[] queryStart = new int[seqs.size() + 1];
        int[] seqLens = new int[seqs.size()];
        int[][] blockTables = new int[seqs.size()][];
        int numSamples = 0;
        for (int i = 0; i < seqs.size(); i++) {
            if (plan.samples(i)) {
                numSamples++;
            }
        }
        int[] logitsIndices = new int[numSamples];
        int t = 0;
        int s = 0;
        for (int i = 0; i < seqs.size(); i++) {
            Sequence seq = seqs.get(i);
            int start = seq.numComputedTokens();
            int n = plan.numNewTokens()[i];
            queryStart[i] = t;
            for (int p = start; p < start + n; p++, t++) {
                tokenIds[t] = seq.tokenAt(p);
                positions[t] = p;
                slots[t] = kv.slot(seq.blockTable(), p);
            }
            seqLens[i] = start + n;
            blockTables[i] = seq.blockTable().toArray(kv.blocksFor(start + n));
            if (plan.samples(i)) {
                logitsIndices[s++] = t - 1;
            }
        }
        queryStart[seqs.size()] = t;
        return new ForwardBatch(tokenIds, positions, slots, queryStart, seqLens, blockTables, logitsIndices);
    }

    private boolean outOfVocab(int[] ids) {
        int vocab = backend.modelConfig().vocabSize();
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                return true;
            }
        }
        return false;
    }

    private static void emit(RequestSink sink, RequestOutput output) {
        try {
            sink.accept(output);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "request sink threw; the engine goes on", e);
        }
    }

    private static long millis(long nanos) {
        return nanos / 1_000_000;
    }
}
