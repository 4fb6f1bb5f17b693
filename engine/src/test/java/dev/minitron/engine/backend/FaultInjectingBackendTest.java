package dev.minitron.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.EngineCore;
import dev.minitron.engine.EngineObserver;
import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.EngineStep;
import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault-injecting decorator, alone and under the real engine on the tiny CPU checkpoint. */
class FaultInjectingBackendTest {

    @TempDir
    static Path dir;
    static Path checkpoint;
    static Tokenizer tokenizer;

    @BeforeAll
    static void writeCheckpoint() throws Exception {
        checkpoint = dir.resolve("tiny");
        TinyCheckpoint.write(checkpoint, TinyPreset.TINY, 7);
        tokenizer = Tokenizers.load(checkpoint);
    }

    // ---- the configuration ----

    @Test
    void ratesOutsideZeroToOneAreRefused() {
        for (double bad : new double[] {-0.01, 1.01, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new FaultInjection(bad, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("stepFailureRate");
            assertThatThrownBy(() -> new FaultInjection(0, bad, 0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("deathRate");
        }
        assertThat(new FaultInjection(0, 0, 5).enabled()).isFalse();
        assertThat(FaultInjection.NONE.enabled()).isFalse();
        assertThat(new FaultInjection(0.5, 0, 5).enabled()).isTrue();
        assertThat(new FaultInjection(0, 1, 5).enabled()).isTrue();
    }

    @Test
    void withFaultsLeavesTheBackendAloneWhenNothingIsInjected() {
        Stub stub = new Stub();
        assertThat(Backends.withFaults(stub, new FaultInjection(0, 0, 99))).isSameAs(stub);
        Backend wrapped = Backends.withFaults(stub, new FaultInjection(0.1, 0, 99));
        assertThat(wrapped).isInstanceOf(FaultInjectingBackend.class);
        assertThat(((FaultInjectingBackend) wrapped).delegate()).isSameAs(stub);
        assertThat(wrapped.name()).isEqualTo("stub");
        wrapped.close();
        assertThat(stub.closed).isTrue();
    }

    // ---- the decorator alone ----

    @Test
    void deviceSamplingIsOnlyOfferedWhenTheDelegateSamplesOnItsDevice() {
        var plain = new FaultInjectingBackend(new Stub(), FaultInjection.NONE);
        assertThat(plain.samplesOnDevice()).isFalse();
        assertThatThrownBy(() -> plain.forwardAndSample(emptyBatch(), new SamplingRow[0]))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(plain.steps()).isZero();

        var off = new SamplingStub(false);
        assertThat(new FaultInjectingBackend(off, FaultInjection.NONE).samplesOnDevice()).isFalse();

        var on = new SamplingStub(true);
        var device = new FaultInjectingBackend(on, FaultInjection.NONE);
        assertThat(device.samplesOnDevice()).isTrue();
        assertThat(device.forwardAndSample(emptyBatch(), new SamplingRow[0]).tokens()).isEmpty();
        assertThat(on.sampled).isEqualTo(1);

        var failing = new FaultInjectingBackend(on, new FaultInjection(1, 0, 0));
        assertThatThrownBy(() -> failing.forwardAndSample(emptyBatch(), new SamplingRow[0]))
                .isInstanceOf(InjectedFault.class)
                .hasMessage("injected step failure (minitron.engine.fault-injection)");
        assertThat(on.sampled).as("a failed step never reaches the device").isEqualTo(1);
        var dying = new FaultInjectingBackend(on, new FaultInjection(0, 1, 0));
        assertThatThrownBy(() -> dying.forwardAndSample(emptyBatch(), new SamplingRow[0]))
                .isInstanceOf(InjectedDeviceLoss.class);
        assertThat(on.sampled).isEqualTo(1);
    }

    @Test
    void aMidRateFailsThatFractionOfStepsTheSameWayForTheSameSeed() {
        int calls = 10_000;
        BitSet first = failures(new FaultInjection(0.25, 0, 1234), calls);
        BitSet again = failures(new FaultInjection(0.25, 0, 1234), calls);
        BitSet otherSeed = failures(new FaultInjection(0.25, 0, 1235), calls);
        assertThat(again).as("deterministic for a seed").isEqualTo(first);
        assertThat(otherSeed).isNotEqualTo(first);
        // Expected 2,500 with a standard deviation of 43: the bound is 3.5 of them, and fixed by the seed.
        assertThat(first.cardinality()).isBetween(2_350, 2_650).isEqualTo(2_510);   // SplittableRandom(1234)
        assertThat(otherSeed.cardinality()).isBetween(2_350, 2_650);

        var backend = new FaultInjectingBackend(new Stub(), new FaultInjection(0, 0.01, 77));
        int deaths = 0;
        for (int i = 0; i < calls; i++) {
            try {
                backend.forward(emptyBatch());
            } catch (InjectedDeviceLoss e) {
                deaths++;
            }
        }
        assertThat(backend.injectedDeviceLosses()).isEqualTo(deaths);
        assertThat(backend.injectedStepFailures()).isZero();
        assertThat(deaths).isBetween(70, 130).isEqualTo(92);   // expected 100, sd 10; SplittableRandom(77)
    }

    private static BitSet failures(FaultInjection faults, int calls) {
        Stub stub = new Stub();
        var backend = new FaultInjectingBackend(stub, faults);
        BitSet failed = new BitSet(calls);
        for (int i = 0; i < calls; i++) {
            try {
                backend.forward(emptyBatch());
            } catch (InjectedFault e) {
                failed.set(i);
            }
        }
        assertThat(backend.steps()).isEqualTo(calls);
        assertThat(backend.injectedStepFailures()).isEqualTo(failed.cardinality());
        assertThat(stub.forwards).as("failed steps never reach the delegate").isEqualTo(calls - failed.cardinality());
        return failed;
    }

    // ---- under the engine ----

    @Test
    void rateZeroChangesNothing() {
        var params = SamplingParams.builder().maxTokens(12).temperature(0.8).seed(3L).build();
        List<EngineRequest> requests = List.of(
                new EngineRequest("a", tokenizer.encode("The quick brown fox"), params),
                new EngineRequest("b", tokenizer.encode("Once upon a time"), SamplingParams.greedy(10)),
                new EngineRequest("c", new int[] {5, 6, 7}, params));
        Map<String, Sink> plain;
        try (var cpu = CpuBackend.load(checkpoint, 1); var engine = engine(cpu)) {
            plain = submitAll(engine, requests);
            plain.values().forEach(Sink::await);
        }
        var wrapped = new FaultInjectingBackend(CpuBackend.load(checkpoint, 1), new FaultInjection(0, 0, 42));
        try (wrapped; var engine = engine(wrapped)) {
            var faulty = submitAll(engine, requests);
            for (var r : requests) {
                var want = plain.get(r.requestId()).await();
                var got = faulty.get(r.requestId()).await();
                assertThat(got.reason()).isEqualTo(want.reason()).isEqualTo(FinishReason.LENGTH);
                assertThat(got.outputTokenIds()).isEqualTo(want.outputTokenIds());
                assertThat(got.text()).isEqualTo(want.text());
            }
        }
        assertThat(wrapped.steps()).isPositive();
        assertThat(wrapped.injectedStepFailures()).isZero();
        assertThat(wrapped.injectedDeviceLosses()).isZero();
    }

    @Test
    void everyStepFailingAnswersWithErrorAndThreeInARowStopTheEngine() throws Exception {
        var backend = new FaultInjectingBackend(CpuBackend.load(checkpoint, 1), new FaultInjection(1, 0, 1));
        try (backend; var engine = engine(backend)) {
            List<Sink> sinks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {   // LlmEngine.MAX_CONSECUTIVE_FAILURES
                Sink sink = new Sink();
                sinks.add(sink);
                engine.addRequest(new EngineRequest("f" + i, new int[] {5, 6}, SamplingParams.greedy(4)), sink);
                RequestOutput.Finished f = sink.await();
                assertThat(f.reason()).isEqualTo(FinishReason.ERROR);
                assertThat(f.errorCode()).isEqualTo("engine_error");
                assertThat(f.errorMessage()).contains("InjectedFault");
                assertThat(f.outputTokenIds()).isEmpty();
            }
            awaitDeath(engine);
            assertThat(backend.injectedStepFailures()).isEqualTo(3);
            assertThat(backend.injectedDeviceLosses()).isZero();
            assertThatThrownBy(() -> engine.addRequest(new EngineRequest("late", new int[] {5}, SamplingParams.greedy(1)),
                    new Sink())).isInstanceOf(IllegalStateException.class);
            for (Sink sink : sinks) {
                assertThat(sink.finishedCount()).as("exactly one Finished per request").isEqualTo(1);
            }
        }
    }

    @Test
    void deathRateOneKillsTheEngineAndLeavesItsRequestsUnanswered() throws Exception {
        var backend = new FaultInjectingBackend(CpuBackend.load(checkpoint, 1), new FaultInjection(0, 1, 1));
        try (backend; var engine = engine(backend)) {
            assertThat(engine.stats().alive()).isTrue();
            Sink sink = new Sink();
            engine.addRequest(new EngineRequest("doomed", new int[] {5, 6}, SamplingParams.greedy(4)), sink);
            awaitDeath(engine);
            assertThat(backend.injectedDeviceLosses()).isEqualTo(1);
            assertThat(backend.steps()).isEqualTo(1);
            assertThat(sink.finishedCount()).as("a dead engine answers nothing (the message is redelivered)").isZero();
            assertThatThrownBy(() -> engine.addRequest(new EngineRequest("late", new int[] {5}, SamplingParams.greedy(1)),
                    new Sink())).isInstanceOf(IllegalStateException.class);
        }
    }

    /**
     * A mid rate under the engine core, stepped here (the {@link LlmEngine} would stop after three
     * failures in a row): every request ends exactly once, those of failed steps with
     * {@code engine_error}, the others normally, and each failed step is one injected fault.
     */
    @Test
    void aMidRateAnswersEveryRequestExactlyOnce() {
        var backend = new FaultInjectingBackend(CpuBackend.load(checkpoint, 1), new FaultInjection(0.2, 0, 2024));
        AtomicInteger failedSteps = new AtomicInteger();
        EngineObserver observer = new EngineObserver() {
            @Override
            public void stepFinished(EngineStep step) {
                if (step.failed()) {
                    failedSteps.incrementAndGet();
                }
            }
        };
        try (backend) {
            var core = new EngineCore(backend, tokenizer, EngineConfig.defaults().withMaxNumSeqs(4), observer);
            Map<String, Sink> sinks = new LinkedHashMap<>();
            for (int i = 0; i < 40; i++) {
                Sink sink = new Sink();
                sinks.put("r" + i, sink);
                core.add(new EngineRequest("r" + i, new int[] {5 + i % 7, 6, 7}, SamplingParams.greedy(6)), sink);
            }
            for (int step = 0; core.hasWork(); step++) {
                assertThat(step).as("the core drains").isLessThan(1_000);
                core.step();
            }
            int errors = 0;
            for (var e : sinks.entrySet()) {
                Sink sink = e.getValue();
                assertThat(sink.finishedCount()).as(e.getKey()).isEqualTo(1);
                RequestOutput.Finished f = sink.await();
                if (f.reason() == FinishReason.ERROR) {
                    errors++;
                    assertThat(f.errorCode()).isEqualTo("engine_error");
                } else {
                    assertThat(f.reason()).isEqualTo(FinishReason.LENGTH);
                    assertThat(f.completionTokens()).isEqualTo(6);
                }
            }
            assertThat(backend.injectedStepFailures()).isEqualTo(failedSteps.get()).isPositive();
            assertThat(errors).isBetween(failedSteps.get(), 40 - 1);
            double fraction = (double) backend.injectedStepFailures() / backend.steps();
            assertThat(fraction).isBetween(0.1, 0.3);
        }
    }

    // ---- helpers ----

    private static LlmEngine engine(Backend backend) {
        return new LlmEngine(backend, tokenizer, EngineConfig.defaults());
    }

    private static Map<String, Sink> submitAll(LlmEngine engine, List<EngineRequest> requests) {
        Map<String, Sink> out = new LinkedHashMap<>();
        for (EngineRequest r : requests) {
            Sink sink = new Sink();
            out.put(r.requestId(), sink);
            engine.addRequest(r, sink);
        }
        return out;
    }

    private static void awaitDeath(LlmEngine engine) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (engine.stats().alive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(engine.stats().alive()).isFalse();
    }

    private static ForwardBatch emptyBatch() {
        return new ForwardBatch(new int[0], new int[0], new int[0], new int[] {0}, new int[0], new int[0][], new int[0]);
    }

    /** Counts every {@link RequestOutput.Finished}; {@link #await} returns the first. */
    static final class Sink implements RequestSink {
        private final CompletableFuture<RequestOutput.Finished> first = new CompletableFuture<>();
        private final AtomicInteger finished = new AtomicInteger();

        @Override
        public void accept(RequestOutput output) {
            if (output instanceof RequestOutput.Finished f) {
                finished.incrementAndGet();
                first.complete(f);
            }
        }

        RequestOutput.Finished await() {
            return first.orTimeout(60, TimeUnit.SECONDS).join();
        }

        int finishedCount() {
            return finished.get();
        }
    }

    /** A backend that computes nothing. */
    static class Stub implements Backend {
        int forwards;
        boolean closed;

        @Override
        public String name() {
            return "stub";
        }

        @Override
        public ModelConfig modelConfig() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long kvBytesPerBlock(int blockSize) {
            return 0;
        }

        @Override
        public void allocateKvCache(int numBlocks, int blockSize) {
        }

        @Override
        public float[][] forward(ForwardBatch batch) {
            forwards++;
            return new float[0][];
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** A stub that "samples on its device". */
    static final class SamplingStub extends Stub implements DeviceSampling {
        final boolean onDevice;
        int sampled;

        SamplingStub(boolean onDevice) {
            this.onDevice = onDevice;
        }

        @Override
        public SampledTokens forwardAndSample(ForwardBatch batch, SamplingRow[] rows) {
            sampled++;
            return new SampledTokens(new int[0], new dev.minitron.engine.sample.TokenLogprobs[0]);
        }

        @Override
        public boolean samplesOnDevice() {
            return onDevice;
        }
    }
}
