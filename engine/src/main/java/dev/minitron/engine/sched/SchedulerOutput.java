package dev.minitron.engine.sched;

import java.util.List;

/**
 * One step's plan: which sequences compute how many new tokens. A sequence whose new tokens reach
 * its last token samples the next one. {@code preempted}: sequences sent back to waiting to make room.
 */
public record SchedulerOutput(List<Sequence> sequences, int[] numNewTokens, List<Sequence> preempted) {

    public int numPreempted() {
        return preempted.size();
    }

    public boolean isEmpty() {
        return sequences.isEmpty();
    }

    public int totalTokens() {
        int total = 0;
        for (int n : numNewTokens) {
            total += n;
        }
        return total;
    }

    public boolean samples(int i) {
        Sequence seq = sequences.get(i);
        return seq.numComputedTokens() + numNewTokens[i] == seq.numTokens();
    }
}
