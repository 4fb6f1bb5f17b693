package dev.minitron.engine.sched;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.RequestSink;
import dev.minitron.engine.kv.BlockTable;
import dev.minitron.engine.output.OutputProcessor;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.structured.GrammarMatcher;
import java.time.Instant;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * One request inside the engine. {@code numComputedTokens} catches up with {@code numTokens}: a step
 * that computes more than one token is a prefill (or a chunk of one), a step that computes the last
 * token samples the next. Only the engine thread touches it.
 */
public final class Sequence {

    private final EngineRequest request;
    private final RequestSink sink;
    private final long arrivalOrder;
    private final long arrivalNanos;
    private final RandomGenerator rng;
    private final OutputProcessor output;
    private final BlockTable blockTable = new BlockTable();
    private final int numPromptTokens;
    private final GrammarMatcher grammar;   // null: unconstrained

    private int[] tokens;   // [capacity] prompt then output tokens
    private int numTokens;
    private int numComputedTokens;
    private SequenceStatus status = SequenceStatus.WAITING;
    private int numPreemptions;
    private int numCachedTokens = -1;
    private boolean starving;
    private long waitingSinceStep;
    private long firstScheduledNanos;
    private long firstTokenNanos;
    private int nextDeltaSeq;

    public Sequence(EngineRequest request, RequestSink sink, long arrivalOrder, long arrivalNanos,
                    RandomGenerator rng, OutputProcessor output) {
        this.request = request;
        this.sink = sink;
        this.arrivalOrder = arrivalOrder;
        this.arrivalNanos = arrivalNanos;
        this.rng = rng;
        this.output = output;
        int[] prompt = request.promptTokenIds();
        this.numPromptTokens = prompt.length;
        this.tokens = Arrays.copyOf(prompt, prompt.length + Math.min(request.params().maxTokens(), 256));
        this.numTokens = prompt.length;
        this.grammar = request.params().grammar() == null ? null : request.params().grammar().matcher();
    }

    /** Where a structured-output request is in its grammar; null for an unconstrained one. */
    public GrammarMatcher grammar() { return grammar; }

    public String requestId() { return request.requestId(); }
    public EngineRequest request() { return request; }
    public SamplingParams params() { return request.params(); }
    public RequestSink sink() { return sink; }
    public int priority() { return request.priority(); }
    /** The priority the scheduler orders by: the request's, or the very first once it starves. */
    public int effectivePriority() { return starving ? Integer.MIN_VALUE : request.priority(); }
    public boolean starving() { return starving; }
    /**
     * What besides the tokens changes this sequence's KV (a LoRA adapter, multimodal inputs, a
     * cache salt), folded into its prefix-cache block hashes; 0: nothing.
     */
    public long cacheExtraKey() { return 0; }
    public Instant deadline() { return request.deadline(); }
    public long arrivalOrder() { return arrivalOrder; }
    public long arrivalNanos() { return arrivalNanos; }
    public RandomGenerator rng() { return rng; }
    public OutputProcessor output() { return output; }
    public BlockTable blockTable() { return blockTable; }
    public SequenceStatus status() { return status; }
    public int numPreemptions() { return numPreemptions; }
    public long firstScheduledNanos() { return firstScheduledNanos; }
    /** Prompt tokens the prefix cache supplied when it was first scheduled; 0 before. */
    public int numCachedTokens() { return Math.max(numCachedTokens, 0); }
    public long firstTokenNanos() { return firstTokenNanos; }

    public int numTokens() { return numTokens; }
    public int numPromptTokens() { return numPromptTokens; }
    public int numOutputTokens() { return numTokens - numPromptTokens; }
    public int numComputedTokens() { return numComputedTokens; }
    public int tokenAt(int position) { return tokens[position]; }
    /** The backing array; valid up to {@link #numTokens()}. */
    public int[] tokens() { return tokens; }

    public int[] outputTokenIds() {
        return Arrays.copyOfRange(tokens, numPromptTokens, numTokens);
    }

    public int nextDeltaSeq() {
        return nextDeltaSeq++;
    }

    void setStatus(SequenceStatus status) {
        this.status = status;
    }

    void markScheduled(long nowNanos) {
        if (firstScheduledNanos == 0) {
            firstScheduledNanos = nowNanos;
        }
    }

    /** Admission over a cached prefix: those tokens count as computed. */
    void admit(int numCached) {
        numComputedTokens = numCached;
        if (numCachedTokens < 0) {
            numCachedTokens = Math.min(numCached, numPromptTokens);
        }
    }

    void markStarving() {
        starving = true;
    }

    long waitingSinceStep() {
        return waitingSinceStep;
    }

    void setWaitingSinceStep(long step) {
        waitingSinceStep = step;
    }

    void addComputed(int n) {
        numComputedTokens += n;
    }

    /** Preemption by recompute: the KV is gone, every token is computed again when it next runs. */
    void resetComputed() {
        numComputedTokens = 0;
        numPreemptions++;
    }

    public void appendToken(int token, long nowNanos) {
        if (numTokens == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[numTokens++] = token;
        if (firstTokenNanos == 0) {
            firstTokenNanos = nowNanos;
        }
    }
}
