package dev.minitron.engine.sched;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.kv.BlockPool;
import dev.minitron.engine.kv.KvCacheManager;
import dev.minitron.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Drives the scheduler and the KV manager with a fake model for thousands of steps: random
 * arrivals, prompt and output lengths, shared prefixes, priorities, aborts, deadlines, tiny pools.
 *
 * <p>The fake model is real enough to catch wrong KV: every slot holds a "KV value", the hash of
 * the sequence's tokens up to that position, written only for the positions a step computes. When a
 * sequence samples, every slot of its context must hold its own prefix's value, so a prefix-cache
 * hit on the wrong block, a block freed while in use or reused too early shows up at once.
 *
 * <p>After every step: the pool's invariants hold and every block's reference count equals the
 * number of live block tables holding it; the scheduler never stalls for more than one step. At the
 * end every request was finished, aborted, timed out or rejected exactly once, and the pool is
 * whole again.
 */
class SchedulerPropertyTest {

    private static final int VOCAB = 4;   // few distinct tokens: outputs and prompts share prefixes often

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int blockSize : new int[] {1, 4, 16}) {
            for (int numBlocks : new int[] {blockSize == 16 ? 3 : 4, blockSize == 1 ? 48 : 12}) {
                for (long seed = 1; seed <= 3; seed++) {
                    cases.add(Arguments.of(blockSize, numBlocks, seed, true));
                }
                cases.add(Arguments.of(blockSize, numBlocks, 4L, false));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "blockSize {0}, {1} blocks, seed {2}, prefix caching {3}")
    @MethodSource("cases")
    void everyRequestEndsExactlyOnceAndEveryBlockReturns(int blockSize, int numBlocks, long seed, boolean caching) {
        new Run(blockSize, numBlocks, seed, caching).go(3000);
    }

    private static final class Run {
        final SplittableRandom random;
        final KvCacheManager kv;
        final Scheduler scheduler;
        final int maxModelLen;
        final long[] slotValue;
        final int[][] basePrompts;
        final List<Sequence> live = new ArrayList<>();
        final Map<String, Integer> endings = new HashMap<>();
        final Map<Sequence, Long> deadlines = new HashMap<>();
        final Map<Sequence, Integer> maxTokens = new HashMap<>();
        final int blockSize;
        final int budget;
        final boolean caching;
        long preemptions;
        long step;
        int submitted;
        int rejected;
        int maxStalled;

        Run(int blockSize, int numBlocks, long seed, boolean caching) {
            this.random = new SplittableRandom(seed * 31 + blockSize);
            this.blockSize = blockSize;
            this.caching = caching;
            this.kv = new KvCacheManager(numBlocks, blockSize, caching);
            this.budget = 1 + random.nextInt(40);
            int maxSeqs = 1 + random.nextInt(6);
            this.scheduler = new Scheduler(kv, maxSeqs, budget, 20 + random.nextInt(200));
            this.maxModelLen = Math.min(64, numBlocks * blockSize);
            this.slotValue = new long[numBlocks * blockSize];
            this.basePrompts = new int[3][];
            for (int i = 0; i < basePrompts.length; i++) {
                basePrompts[i] = randomTokens(maxModelLen);
            }
        }

        void go(int arrivalSteps) {
            for (step = 0; step < arrivalSteps; step++) {
                if (random.nextInt(3) == 0) {
                    arrive();
                }
                if (!live.isEmpty() && random.nextInt(40) == 0) {
                    end(live.get(random.nextInt(live.size())), "aborted");
                }
                turn();
            }
            long drainLimit = step + 200_000;
            while (scheduler.hasWork()) {
                assertThat(step++).as("drained in time").isLessThan(drainLimit);
                turn();
            }
            assertThat(live).isEmpty();
            assertThat(endings.size() + rejected).isEqualTo(submitted);
            assertThat(endings.values()).allMatch(n -> n == 1);
            assertThat(kv.numFreeBlocks()).isEqualTo(kv.numBlocks());
            for (int b = 0; b < kv.numBlocks(); b++) {
                assertThat(kv.pool().refCount(b)).isZero();
            }
            kv.pool().checkConsistency();
            assertThat(maxStalled).as("steps in a row with nothing scheduled").isLessThanOrEqualTo(1);
            assertThat(endings).containsValue(1);
            System.out.printf("blockSize %d, %d blocks, budget %d: %d requests (%d rejected), %d preemptions,"
                    + " prefix cache %d of %d tokens%n", blockSize, kv.numBlocks(), budget, submitted, rejected,
                    preemptions, kv.prefixCacheHits(), kv.prefixCacheQueries());
            if (caching) {
                assertThat(kv.prefixCacheHits()).as("the prefix cache was exercised").isPositive();
            } else {
                assertThat(kv.prefixCacheQueries()).isZero();
            }
        }

        void arrive() {
            int len = 1 + random.nextInt(Math.max(1, maxModelLen + 4));   // some too long
            int[] prompt = randomTokens(len);
            if (random.nextBoolean()) {   // a shared prefix
                int[] base = basePrompts[random.nextInt(basePrompts.length)];
                System.arraycopy(base, 0, prompt, 0, Math.min(len, random.nextInt(base.length + 1)));
            }
            String id = "r" + submitted++;
            if (len + 1 > maxModelLen || !kv.fitsInPool(len + 1)) {   // EngineCore rejects these at add
                rejected++;
                return;
            }
            var request = new EngineRequest(id, prompt, SamplingParams.greedy(8), random.nextInt(3) - 1, null);
            Sequence seq = new Sequence(request, out -> { }, submitted, System.nanoTime(), new SplittableRandom(1),
                    null);
            live.add(seq);
            maxTokens.put(seq, 1 + random.nextInt(24));
            if (random.nextInt(10) == 0) {
                deadlines.put(seq, step + random.nextInt(60));
            }
            scheduler.add(seq);
        }

        void turn() {
            for (Sequence seq : List.copyOf(live)) {
                Long deadline = deadlines.get(seq);
                if (deadline != null && step >= deadline) {
                    end(seq, "timeout");
                }
            }
            SchedulerOutput out = scheduler.schedule(step);
            maxStalled = Math.max(maxStalled, scheduler.stalledSteps());
            if (scheduler.hasWork() && out.isEmpty()) {
                assertThat(scheduler.stalledSteps()).isLessThanOrEqualTo(1);
            }
            checkBudget(out);
            fakeForward(out);
            scheduler.commit(out);
            for (Sequence seq : out.sequences()) {
                if (seq.numComputedTokens() == seq.numTokens()) {
                    checkContext(seq);
                    seq.appendToken((int) Long.remainderUnsigned(valueAt(seq, seq.numTokens() - 1), VOCAB), step);
                    if (seq.numOutputTokens() >= maxTokens.get(seq) || seq.numTokens() >= maxModelLen) {
                        end(seq, "finished");
                    }
                }
            }
            kv.pool().checkConsistency();
            checkRefCounts();
        }

        void checkBudget(SchedulerOutput out) {
            assertThat(out.totalTokens()).isLessThanOrEqualTo(budget);
            assertThat(out.sequences()).doesNotHaveDuplicates();
            preemptions += out.numPreempted();
            for (int i = 0; i < out.sequences().size(); i++) {
                Sequence seq = out.sequences().get(i);
                assertThat(out.numNewTokens()[i]).isPositive();
                assertThat(seq.numComputedTokens() + out.numNewTokens()[i]).isLessThanOrEqualTo(seq.numTokens());
                assertThat(seq.blockTable().size() * blockSize)
                        .isGreaterThanOrEqualTo(seq.numComputedTokens() + out.numNewTokens()[i]);
            }
        }

        /** Writes the KV of the tokens this step computes, as a real model would. */
        void fakeForward(SchedulerOutput out) {
            for (int i = 0; i < out.sequences().size(); i++) {
                Sequence seq = out.sequences().get(i);
                int start = seq.numComputedTokens();
                for (int p = start; p < start + out.numNewTokens()[i]; p++) {
                    slotValue[kv.slot(seq.blockTable(), p)] = valueAt(seq, p);
                }
            }
        }

        void checkContext(Sequence seq) {
            for (int p = 0; p < seq.numTokens(); p++) {
                assertThat(slotValue[kv.slot(seq.blockTable(), p)]).as("KV of %s at %d", seq.requestId(), p)
                        .isEqualTo(valueAt(seq, p));
            }
        }

        void checkRefCounts() {
            int[] holders = new int[kv.numBlocks()];
            for (Sequence seq : live) {
                for (int i = 0; i < seq.blockTable().size(); i++) {
                    holders[seq.blockTable().get(i)]++;
                }
            }
            for (int b = 0; b < holders.length; b++) {
                if (holders[b] != kv.pool().refCount(b)) {
                    throw new AssertionError("block " + b + " has refCount " + kv.pool().refCount(b) + " but "
                            + holders[b] + " holders at step " + step);
                }
            }
        }

        void end(Sequence seq, String how) {
            scheduler.finish(seq);
            live.remove(seq);
            endings.merge(seq.requestId(), 1, Integer::sum);
        }

        /** The "KV" of position p: a hash of tokens 0..p, so it depends on the whole prefix. */
        static long valueAt(Sequence seq, int p) {
            long h = 17;
            for (int i = 0; i <= p; i++) {
                h = (h ^ seq.tokenAt(i)) * 0x100000001B3L;
                h ^= h >>> 29;
            }
            return h;
        }

        int[] randomTokens(int n) {
            int[] t = new int[n];
            Arrays.setAll(t, i -> random.nextInt(VOCAB));
            return t;
        }
    }
}
