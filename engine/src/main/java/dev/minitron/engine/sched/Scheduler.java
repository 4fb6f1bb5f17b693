package dev.minitron.engine.sched;

import dev.minitron.engine.kv.KvCacheManager;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Decides who computes what each step, vLLM v1 style: no prefill or decode phases, just each
 * sequence's {@code numComputedTokens} catching up with its tokens under a token budget. Running
 * sequences go first (in priority order), then waiting ones, each admitted over its cached prefix; a
 * prompt longer than the budget is chunked. When the KV pool runs dry, the lowest-priority, newest
 * running sequence is preempted by recompute and goes back to waiting.
 *
 * <p>Starvation cap: a sequence that has waited {@code starvationSteps} steps in a row, or was
 * preempted {@link #MAX_PREEMPTIONS} times, is marked starving and from then on ranks before every
 * priority (oldest first), so a stream of higher-priority arrivals cannot hold it back forever.
 *
 * <p>Progress: {@link #stalledSteps()} counts steps in a row that scheduled nothing while work was
 * held. By construction it never exceeds 1 (a step that preempts everything admits nothing; the next
 * one admits the head, which fits in the empty pool because {@code EngineCore} rejects what cannot);
 * the engine's watchdog acts on it anyway, so a bug shows up as a failed request, not a hang.
 */
public final class Scheduler {

    /** Starving first, then lower priority value first, then earlier arrival. */
    public static final Comparator<Sequence> ORDER =
            Comparator.comparingInt(Sequence::effectivePriority).thenComparingLong(Sequence::arrivalOrder);

    /** Preemptions after which a sequence counts as starving. */
    public static final int MAX_PREEMPTIONS = 8;

    private record Waiter(Sequence seq, long sinceStep) {
    }

    private final KvCacheManager kv;
    private final int maxNumSeqs;
    private final int maxNumBatchedTokens;
    private final long starvationSteps;
    private final PriorityQueue<Sequence> waiting = new PriorityQueue<>(ORDER);
    private final ArrayDeque<Waiter> waitOrder = new ArrayDeque<>();   // entries into waiting, oldest first
    private final List<Sequence> running = new ArrayList<>();
    private long stepCount;
    private int stalledSteps;

    public Scheduler(KvCacheManager kv, int maxNumSeqs, int maxNumBatchedTokens) {
        this(kv, maxNumSeqs, maxNumBatchedTokens, Long.MAX_VALUE);
    }

    public Scheduler(KvCacheManager kv, int maxNumSeqs, int maxNumBatchedTokens, long starvationSteps) {
        if (maxNumSeqs < 1 || maxNumBatchedTokens < 1 || starvationSteps < 1) {
            throw new IllegalArgumentException("scheduler limits must be positive");
        }
        this.kv = kv;
        this.maxNumSeqs = maxNumSeqs;
        this.maxNumBatchedTokens = maxNumBatchedTokens;
        this.starvationSteps = starvationSteps;
    }

    public void add(Sequence seq) {
        enterWaiting(seq);
    }

    public int numWaiting() {
        return waiting.size();
    }

    public int numRunning() {
        return running.size();
    }

    public boolean hasWork() {
        return !waiting.isEmpty() || !running.isEmpty();
    }

    /** Steps in a row that scheduled nothing although work was held (see the class comment). */
    public int stalledSteps() {
        return stalledSteps;
    }

    /** The waiting sequence admitted next, or null. */
    public Sequence firstWaiting() {
        return waiting.peek();
    }

    /** Every sequence the scheduler holds, waiting and running. */
    public List<Sequence> all() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        return all;
    }

    public SchedulerOutput schedule(long nowNanos) {
        stepCount++;
        markStarving();
        List<Sequence> scheduled = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        int budget = maxNumBatchedTokens;
        List<Sequence> preempted = List.of();

        running.sort(ORDER);
        for (int i = 0; i < running.size() && budget > 0; i++) {
            Sequence seq = running.get(i);
            int n = Math.min(seq.numTokens() - seq.numComputedTokens(), budget);
            boolean preemptedSelf = false;
            while (!kv.allocateSlots(seq.blockTable(), seq.numComputedTokens() + n)) {
                Sequence victim = running.getLast();
                preempt(victim);
                if (preempted.isEmpty()) {
                    preempted = new ArrayList<>(2);
                }
                preempted.add(victim);
                if (victim == seq) {
                    preemptedSelf = true;
                    break;
                }
            }
            if (preemptedSelf) {
                break;
            }
            scheduled.add(seq);
            counts.add(n);
            budget -= n;
        }

        // Like vLLM: admit nothing new in a step that had to preempt.
        while (preempted.isEmpty() && budget > 0 && !waiting.isEmpty() && running.size() < maxNumSeqs) {
            Sequence seq = waiting.peek();
            int numCached = kv.allocateWithPrefix(seq.blockTable(), seq.tokens(), seq.numTokens(),
                    seq.cacheExtraKey(), budget);
            if (numCached < 0) {
                break;
            }
            waiting.poll();
            seq.admit(numCached);
            int n = Math.min(seq.numTokens() - numCached, budget);
            seq.setStatus(SequenceStatus.RUNNING);
            seq.markScheduled(nowNanos);
            running.add(seq);
            scheduled.add(seq);
            counts.add(n);
            budget -= n;
        }
        stalledSteps = scheduled.isEmpty() && hasWork() ? stalledSteps + 1 : 0;
        return new SchedulerOutput(scheduled, counts.stream().mapToInt(Integer::intValue).toArray(), preempted);
    }

    /** After the model ran: the planned tokens are computed, and blocks they filled are cached. */
    public void commit(SchedulerOutput output) {
        for (int i = 0; i < output.sequences().size(); i++) {
            Sequence seq = output.sequences().get(i);
            seq.addComputed(output.numNewTokens()[i]);
            kv.cacheFullBlocks(seq.blockTable(), seq.tokens(), seq.numComputedTokens(), seq.cacheExtraKey());
        }
    }

    /** Removes a sequence wherever it is and returns its KV blocks. */
    public void finish(Sequence seq) {
        if (seq.status() == SequenceStatus.RUNNING) {
            running.remove(seq);
        } else if (seq.status() == SequenceStatus.WAITING) {
            waiting.remove(seq);
        }
        kv.free(seq.blockTable());
        seq.setStatus(SequenceStatus.FINISHED);
    }

    private void preempt(Sequence victim) {
        running.remove(victim);
        kv.free(victim.blockTable());
        victim.resetComputed();
        if (victim.numPreemptions() >= MAX_PREEMPTIONS) {
            victim.markStarving();
        }
        enterWaiting(victim);
    }

    private void enterWaiting(Sequence seq) {
        seq.setStatus(SequenceStatus.WAITING);
        seq.setWaitingSinceStep(stepCount);
        waiting.add(seq);
        if (starvationSteps != Long.MAX_VALUE && !seq.starving()) {
            waitOrder.add(new Waiter(seq, stepCount));
        }
    }

    /** Ages the waiting queue: O(1) amortised, since entries are kept in the order they began waiting. */
    private void markStarving() {
        while (!waitOrder.isEmpty()) {
            Waiter w = waitOrder.peek();
            Sequence seq = w.seq();
            if (seq.status() != SequenceStatus.WAITING || seq.waitingSinceStep() != w.sinceStep() || seq.starving()) {
                waitOrder.poll();   // admitted, finished or re-queued since
            } else if (stepCount - w.sinceStep() >= starvationSteps) {
                waitOrder.poll();
                waiting.remove(seq);   // its rank changes: re-insert
                seq.markStarving();
                waiting.add(seq);
            } else {
                break;
            }
        }
    }
}
