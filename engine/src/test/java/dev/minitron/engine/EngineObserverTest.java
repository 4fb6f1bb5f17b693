package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.sample.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** What an {@link EngineObserver} is told: first scheduling, preemptions, and every step's batch. */
class EngineObserverTest {

    private static final class Recording implements EngineObserver {
        final ConcurrentHashMap<String, Long> scheduled = new ConcurrentHashMap<>();
        final List<String> preempted = new CopyOnWriteArrayList<>();
        final List<EngineStep> steps = new CopyOnWriteArrayList<>();

        @Override
        public void scheduled(String requestId, long nanoTime) {
            assertThat(scheduled.putIfAbsent(requestId, nanoTime)).as("scheduled once: " + requestId).isNull();
        }

        @Override
        public void preempted(String requestId, long nanoTime) {
            preempted.add(requestId);
        }

        @Override
        public void stepFinished(EngineStep step) {
            steps.add(step);
        }
    }

    @Test
    void everyStepReportsItsBatchAndEachRequestIsScheduledOnce() {
        var params = SamplingParams.builder().maxTokens(6).temperature(0).ignoreEos(true).build();
        List<EngineRequest> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(new EngineRequest("obs-" + i, EngineHarness.tokenizer().encode("Observed request " + i), params));
        }
        var observer = new Recording();
        try (var engine = new LlmEngine(CpuBackend.load(EngineHarness.checkpoint(), 2), EngineHarness.tokenizer(),
                EngineConfig.defaults(), observer)) {
            var outs = EngineHarness.submitAll(engine, requests);
            requests.forEach(r -> outs.get(r.requestId()).await());
            engine.backend().close();
        }

        assertThat(observer.scheduled).containsOnlyKeys("obs-0", "obs-1", "obs-2");
        assertThat(observer.preempted).isEmpty();
        for (EngineRequest r : requests) {
            // prefill once, then one decode per further token: 6 steps name each request
            long inBatch = observer.steps.stream().filter(s -> Arrays.asList(s.requestIds()).contains(r.requestId())).count();
            assertThat(inBatch).as(r.requestId()).isEqualTo(6);
        }
        EngineStep first = observer.steps.getFirst();
        assertThat(first.numPrefillTokens()).isPositive().isEqualTo(first.numTokens());
        assertThat(observer.steps.getLast().numPrefillTokens()).isZero();
        assertThat(observer.steps).allSatisfy(s -> {
            assertThat(s.failed()).isFalse();
            assertThat(s.durationNanos()).isPositive();
        });
        assertThat(observer.steps.stream().mapToLong(EngineStep::number)).isSorted();
    }

    @Test
    void preemptedRequestsAreReported() {
        var params = SamplingParams.builder().maxTokens(24).temperature(0).ignoreEos(true).build();
        List<EngineRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(new EngineRequest("p" + i, EngineHarness.tokenizer().encode("Request number " + i + " says"),
                    params));
        }
        EngineConfig tight = EngineConfig.defaults().withBlockSize(8).withMaxNumSeqs(6);
        long perBlock;
        try (var backend = CpuBackend.load(EngineHarness.checkpoint(), 1)) {
            perBlock = backend.kvBytesPerBlock(tight.blockSize());
        }
        var observer = new Recording();
        try (var engine = new LlmEngine(CpuBackend.load(EngineHarness.checkpoint(), 2), EngineHarness.tokenizer(),
                tight.withKvCacheBytes(perBlock * 5), observer)) {
            var outs = EngineHarness.submitAll(engine, requests);
            requests.forEach(r -> outs.get(r.requestId()).await());
            engine.backend().close();
        }

        assertThat(observer.preempted).isNotEmpty();
        assertThat(observer.steps.stream().mapToInt(EngineStep::numPreempted).sum()).isEqualTo(observer.preempted.size());
    }
}
