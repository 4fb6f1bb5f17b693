package dev.minitron.engine.sched;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.kv.KvCacheManager;
import dev.minitron.engine.sample.SamplingParams;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    private long arrivals;

    private Sequence seq(String id, int promptLen, int priority) {
        int[] prompt = new int[promptLen];
        java.util.Arrays.setAll(prompt, i -> 1000 * (int) arrivals + i);   // no shared prefixes
        var request = new EngineRequest(id, prompt, SamplingParams.greedy(8), priority, null);
        return new Sequence(request, out -> { }, arrivals++, System.nanoTime(), new SplittableRandom(1), null);
    }

    /** Pretend the model ran and sampled a token for every sequence that reached its end. */
    private static void runStep(Scheduler s, SchedulerOutput out) {
        s.commit(out);
        for (Sequence seq : out.sequences()) {
            if (seq.numComputedTokens() == seq.numTokens()) {
                seq.appendToken(7, System.nanoTime());
            }
        }
    }

    @Test
    void longPromptIsChunkedUnderTheTokenBudget() {
        Scheduler s = new Scheduler(new KvCacheManager(64, 4), 8, 10);
        Sequence a = seq("a", 25, 0);
        s.add(a);
        int[] chunks = new int[3];
        for (int i = 0; i < 3; i++) {
            SchedulerOutput out = s.schedule(0);
            chunks[i] = out.numNewTokens()[0];
            assertThat(out.samples(0)).isEqualTo(i == 2);
            runStep(s, out);
        }
        assertThat(chunks).containsExactly(10, 10, 5);
        assertThat(a.numOutputTokens()).isEqualTo(1);
    }

    @Test
    void decodesAndANewPrefillShareOneStep() {
        Scheduler s = new Scheduler(new KvCacheManager(64, 4), 8, 32);
        Sequence a = seq("a", 5, 0);
        s.add(a);
        runStep(s, s.schedule(0));
        Sequence b = seq("b", 6, 0);
        s.add(b);
        SchedulerOutput out = s.schedule(0);
        assertThat(out.sequences()).containsExactly(a, b);
        assertThat(out.numNewTokens()).containsExactly(1, 6);
    }

    @Test
    void waitingRequestsAdmitInPriorityThenArrivalOrder() {
        Scheduler s = new Scheduler(new KvCacheManager(64, 4), 2, 100);
        Sequence late = seq("late", 3, 5);
        Sequence urgent = seq("urgent", 3, -1);
        Sequence normal = seq("normal", 3, 0);
        s.add(late);
        s.add(urgent);
        s.add(normal);
        SchedulerOutput out = s.schedule(0);
        assertThat(out.sequences()).containsExactly(urgent, normal);
        assertThat(s.numWaiting()).isEqualTo(1);
    }

    @Test
    void kvExhaustionPreemptsTheLowestPriorityNewestSequence() {
        KvCacheManager kv = new KvCacheManager(4, 4);   // 16 token slots
        Scheduler s = new Scheduler(kv, 8, 100);
        Sequence first = seq("first", 8, 0);
        Sequence second = seq("second", 8, 0);
        s.add(first);
        s.add(second);
        runStep(s, s.schedule(0));                       // both prefilled: 4 blocks in use
        assertThat(kv.numFreeBlocks()).isZero();
        SchedulerOutput out = s.schedule(0);             // first needs a 3rd block
        assertThat(out.numPreempted()).isEqualTo(1);
        assertThat(out.sequences()).containsExactly(first);
        assertThat(second.status()).isEqualTo(SequenceStatus.WAITING);
        assertThat(second.numComputedTokens()).isZero();
        assertThat(second.numPreemptions()).isEqualTo(1);
    }

    @Test
    void finishingReturnsEveryBlock() {
        KvCacheManager kv = new KvCacheManager(8, 4);
        Scheduler s = new Scheduler(kv, 8, 100);
        Sequence a = seq("a", 9, 0);
        s.add(a);
        runStep(s, s.schedule(0));
        assertThat(kv.numFreeBlocks()).isEqualTo(5);
        s.finish(a);
        assertThat(kv.numFreeBlocks()).isEqualTo(8);
        assertThat(s.hasWork()).isFalse();
    }

    /** Steps until {@code low} is first scheduled while a high-priority request arrives every step. */
    private int stepsUntilLowRuns(long starvationSteps, int limit) {
        Scheduler s = new Scheduler(new KvCacheManager(64, 4), 1, 100, starvationSteps);
        Sequence low = seq("low", 3, 5);
        s.add(seq("high-0", 3, -1));
        s.add(low);
        for (int step = 1; step <= limit; step++) {
            s.add(seq("high-" + step, 3, -1));
            SchedulerOutput out = s.schedule(0);
            if (out.sequences().contains(low)) {
                return step;
            }
            runStep(s, out);
            out.sequences().forEach(s::finish);   // each high request is done after one token
        }
        return -1;
    }

    @Test
    void aStarvingRequestOutranksAStreamOfHigherPriorityArrivals() {
        assertThat(stepsUntilLowRuns(Long.MAX_VALUE, 500)).as("without the cap it never runs").isEqualTo(-1);
        int ranAt = stepsUntilLowRuns(20, 500);
        assertThat(ranAt).isBetween(20, 22);
    }

    @Test
    void aRequestPreemptedTooOftenIsMarkedStarving() {
        KvCacheManager kv = new KvCacheManager(6, 4, false);
        Scheduler s = new Scheduler(kv, 8, 100);
        Sequence victim = seq("victim", 4, 5);
        s.add(victim);
        for (int round = 0; round < 50 && victim.numPreemptions() < Scheduler.MAX_PREEMPTIONS; round++) {
            assertThat(victim.starving()).isFalse();
            // A higher-priority request exactly filling the rest of the pool: the next block either
            // of them needs preempts the victim.
            Sequence hog = seq("hog-" + round, 4 * (6 - kv.blocksFor(victim.numTokens())), 0);
            s.add(hog);
            int before = victim.numPreemptions();
            for (int step = 0; step < 8 && victim.numPreemptions() == before; step++) {
                runStep(s, s.schedule(0));
            }
            assertThat(victim.numPreemptions()).isEqualTo(before + 1);
            s.finish(hog);
        }
        assertThat(victim.numPreemptions()).isEqualTo(Scheduler.MAX_PREEMPTIONS);
        assertThat(victim.starving()).isTrue();
        assertThat(victim.effectivePriority()).isEqualTo(Integer.MIN_VALUE);
    }

    @Test
    void anAdmittedSequenceStartsAfterItsCachedPrefix() {
        KvCacheManager kv = new KvCacheManager(16, 4);
        Scheduler s = new Scheduler(kv, 8, 100);
        int[] prompt = new int[10];
        java.util.Arrays.setAll(prompt, i -> 50 + i);
        Sequence a = new Sequence(new EngineRequest("a", prompt, SamplingParams.greedy(8)), out -> { }, arrivals++,
                0, new SplittableRandom(1), null);
        s.add(a);
        runStep(s, s.schedule(0));
        Sequence b = new Sequence(new EngineRequest("b", prompt, SamplingParams.greedy(8)), out -> { }, arrivals++,
                0, new SplittableRandom(1), null);
        s.add(b);
        SchedulerOutput out = s.schedule(0);
        assertThat(out.sequences()).containsExactly(a, b);
        assertThat(b.numComputedTokens()).isEqualTo(8);      // two full blocks cached
        assertThat(out.numNewTokens()).containsExactly(1, 2);
        assertThat(b.numCachedTokens()).isEqualTo(8);
        assertThat(b.blockTable().get(0)).isEqualTo(a.blockTable().get(0));
        assertThat(kv.pool().refCount(a.blockTable().get(1))).isEqualTo(2);
    }
}
