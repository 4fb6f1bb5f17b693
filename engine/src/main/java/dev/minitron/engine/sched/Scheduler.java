package dev.minitron.engine.sched;

import dev.minitron.engine.kv.KvCacheManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Decides who computes what each step, vLLM v1 style: no prefill or decode phases, just each
 * sequence's {@code numComputedTokens} catching up with its tokens under a token budget. Running
 * sequences go first (in priority order), then waiting ones; a prompt longer than the budget is
 * chunked. When the KV pool runs dry, the lowest-priority, newest running sequence is preempted by
 * recompute and goes back to waiting.
 */
public final class Scheduler {

    /** Lower priority value first, then earlier arrival. */
    public static final Comparator<Sequence> ORDER =
            Comparator.comparingInt(Sequence::priority).thenComparingLong(Sequence::arrivalOrder);

    private final KvCacheManager kv;
    private final int maxNumSeqs;
    private final int maxNumBatchedTokens;
    private final PriorityQueue<Sequence> waiting = new PriorityQueue<>(ORDER);
    private final List<Sequence> running = new ArrayList<>();

    public Scheduler(KvCacheManager kv, int maxNumSeqs, int maxNumBatchedTokens) {
        this.kv = kv;
        this.maxNumSeqs = maxNumSeqs;
        this.maxNumBatchedTokens = maxNumBatchedTokens;
    }

    public void add(Sequence seq) {
        seq.setStatus(SequenceStatus.WAITING);
        waiting.add(seq);
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

    /** Every sequence the scheduler holds, waiting and running. */
    public List<Sequence> all() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        return all;
    }

    public SchedulerOutput schedule(long nowNanos) {
        List<Sequence> scheduled = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        int budget = maxNumBatchedTokens;
        int preempted = 0;

        running.sort(ORDER);
        for (int i = 0; i < running.size() && budget > 0; i++) {
            Sequence seq = running.get(i);
            int n = Math.min(seq.numTokens() - seq.numComputedTokens(), budget);
            boolean preemptedSelf = false;
            while (!kv.allocateSlots(seq.blockTable(), seq.numComputedTokens() + n)) {
                Sequence victim = running.getLast();
                preempt(victim);
                preempted++;
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
        while (preempted == 0 && budget > 0 && !waiting.isEmpty() && running.size() < maxNumSeqs) {
            Sequence seq = waiting.peek();
            int n = Math.min(seq.numTokens() - seq.numComputedTokens(), budget);
            if (!kv.allocateSlots(seq.blockTable(), seq.numComputedTokens() + n)) {
                break;
            }
            waiting.poll();
            seq.setStatus(SequenceStatus.RUNNING);
            seq.markScheduled(nowNanos);
            running.add(seq);
            scheduled.add(seq);
            counts.add(n);
            budget -= n;
        }
        return new SchedulerOutput(scheduled, counts.stream().mapToInt(Integer::intValue).toArray(), preempted);
    }

    /** After the model ran: the planned tokens are computed. */
    public void commit(SchedulerOutput output) {
        for (int i = 0; i < output.sequences().size(); i++) {
            output.sequences().get(i).addComputed(output.numNewTokens()[i]);
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
        victim.setStatus(SequenceStatus.WAITING);
        waiting.add(victim);
    }
}
