package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.kv.BlockPool;
import dev.minitron.engine.sample.SamplingParams;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Deadlines, rejections and the stall watchdog, stepping a real {@link EngineCore} by hand. */
class EngineCoreTest {

    private static final SamplingParams LONG =
            SamplingParams.builder().maxTokens(200).temperature(0).ignoreEos(true).build();

    private static int[] prompt(int n) {
        int[] t = new int[n];
        Arrays.setAll(t, i -> 10 + i % 50);
        return t;
    }

    @Test
    void deadlineBeforePrefillEndsTheRequestWithoutComputingIt() {
        try (CoreDriver d = new CoreDriver(EngineConfig.defaults())) {
            var out = d.add(new EngineRequest("late", prompt(20), LONG, 0, Instant.now().minusMillis(1)));
            d.drain(5);
            var f = out.await();
            assertThat(f.reason()).isEqualTo(FinishReason.TIMEOUT);
            assertThat(f.completionTokens()).isZero();
            assertThat(f.ttftMillis()).isNull();
            assertThat(d.stats().numScheduledTokens()).isZero();
            PrefixCachingTest.assertPoolWhole(d);
        }
    }

    @Test
    void deadlineMidGenerationStopsTheRequestAndFreesItsBlocks() throws InterruptedException {
        try (CoreDriver d = new CoreDriver(EngineConfig.defaults())) {
            Instant deadline = Instant.now().plusMillis(1500);   // room for three tiny steps on a slow CI machine
            var out = d.add(new EngineRequest("slow", prompt(20), LONG, 0, deadline));
            for (int i = 0; i < 3; i++) {
                d.core.step();
            }
            assertThat(out.finished).isNotDone();
            assertThat(out.streamedTokens()).hasSize(3);
            Thread.sleep(Math.max(0, deadline.toEpochMilli() - System.currentTimeMillis() + 5));
            d.core.step();
            var f = out.await();
            assertThat(f.reason()).isEqualTo(FinishReason.TIMEOUT);
            assertThat(f.completionTokens()).isEqualTo(3);
            assertThat(f.outputTokenIds()).containsExactly(out.streamedTokens());
            assertThat(d.core.hasWork()).isFalse();
            PrefixCachingTest.assertPoolWhole(d);
        }
    }

    @Test
    void abortEndsARequestAtOnceAndFreesItsBlocks() {
        try (CoreDriver d = new CoreDriver(EngineConfig.defaults())) {
            var out = d.add(new EngineRequest("x", prompt(20), LONG));
            d.core.step();
            assertThat(d.core.abort("x", FinishReason.CANCELLED)).isTrue();
            assertThat(out.await().reason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(d.core.hasWork()).isFalse();
            assertThat(d.core.abort("x", FinishReason.CANCELLED)).isFalse();
            PrefixCachingTest.assertPoolWhole(d);
        }
    }

    @Test
    void promptsThatCanNeverFitAreRejectedAtOnce() {
        try (CoreDriver d = new CoreDriver(EngineConfig.defaults().withMaxModelLen(64))) {
            var tooLong = d.add(new EngineRequest("long", prompt(64), LONG));
            var f = tooLong.await();   // answered inside add, before any step
            assertThat(f.reason()).isEqualTo(FinishReason.ERROR);
            assertThat(f.errorCode()).isEqualTo("prompt_too_long");
            assertThat(f.errorMessage()).contains("max_model_len is 64");
            assertThat(d.core.hasWork()).isFalse();
        }
        EngineConfig tiny = EngineConfig.defaults().withBlockSize(4).withMaxNumSeqs(1);
        long perBlock;
        try (CoreDriver probe = new CoreDriver(tiny)) {
            perBlock = probe.backend.kvBytesPerBlock(4);
        }
        try (CoreDriver d = new CoreDriver(tiny.withKvCacheBytes(perBlock * 5))) {   // a 20-token pool
            assertThat(d.core.maxModelLen()).isEqualTo(20);
            var f = d.add(new EngineRequest("pool", prompt(25), LONG)).await();
            assertThat(f.errorCode()).isEqualTo("prompt_too_long");
            var fits = d.add(new EngineRequest("fits", prompt(12), LONG));
            d.drain(100);
            assertThat(fits.await().reason()).isEqualTo(FinishReason.LENGTH);   // at max_model_len
            assertThat(fits.await().completionTokens()).isEqualTo(8);
        }
    }

    @Test
    void watchdogFailsARequestThatCanNeverBeScheduledInsteadOfSpinning() {
        EngineConfig config = EngineConfig.defaults().withBlockSize(4).withMaxNumSeqs(2);
        long perBlock;
        try (CoreDriver probe = new CoreDriver(config)) {
            perBlock = probe.backend.kvBytesPerBlock(4);
        }
        try (CoreDriver d = new CoreDriver(config.withKvCacheBytes(perBlock * 8))) {
            // Simulate a bug that leaked six blocks: a 12-token request can no longer fit.
            BlockPool pool = d.core.kvCacheManager().pool();
            for (int i = 0; i < 6; i++) {
                pool.allocate();
            }
            var stuck = d.add(new EngineRequest("stuck", prompt(12), LONG));
            for (int i = 0; i < EngineCore.WATCHDOG_STALLED_STEPS + 1 && d.core.hasWork(); i++) {
                d.core.step();
            }
            var f = stuck.await();
            assertThat(f.reason()).isEqualTo(FinishReason.ERROR);
            assertThat(f.errorCode()).isEqualTo("engine_stalled");
            assertThat(f.errorMessage()).contains("2 of 8 KV blocks free");
            assertThat(d.stats().watchdogFailures()).isEqualTo(1);
            // The engine goes on with what does fit.
            var small = d.add(new EngineRequest("small", prompt(3), SamplingParams.greedy(4)));
            d.drain(20);
            assertThat(small.await().reason()).isNotEqualTo(FinishReason.ERROR);
        }
    }
}
