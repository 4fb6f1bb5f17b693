package dev.minitron.worker.metrics;

import dev.minitron.engine.EngineStats;
import dev.minitron.engine.LlmEngine;
import dev.minitron.worker.engine.EngineHolder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.function.ToDoubleFunction;

/**
 * The engine's state under vLLM's names: gauges and counters that read the engine's
 * {@link EngineStats} snapshot when Prometheus scrapes. The engine thread publishes the snapshot
 * (a volatile write per step); reading it never locks or waits for the engine.
 */
@Startup
@ApplicationScoped
public class EngineMetrics {

    private final MeterRegistry registry;
    private final java.util.List<io.micrometer.core.instrument.Meter> meters = new java.util.ArrayList<>();

    public EngineMetrics(MeterRegistry registry, EngineHolder holder) {
        this.registry = registry;
        LlmEngine engine = holder.engine();
        Tags model = Tags.of("model_name", holder.modelName());
        gauge(engine, model, "minitron:num_requests_running",
                "Requests in the running batch", s -> s.numRunning());
        gauge(engine, model, "minitron:num_requests_waiting",
                "Requests handed to the engine and not yet running (its queue and the scheduler's waiting list)",
                s -> s.numWaiting() + s.numQueued());
        gauge(engine, model, "minitron:kv_cache_usage_perc",
                "Fraction of KV cache blocks in use, 0..1", EngineStats::kvCacheUsage);
        counter(engine, model, "minitron:prompt_tokens",
                "Prompt tokens of the requests admitted to the batch", s -> s.promptTokens());
        counter(engine, model, "minitron:generation_tokens",
                "Tokens generated", s -> s.generationTokens());
        counter(engine, model, "minitron:num_preemptions",
                "Requests preempted (KV blocks taken back, recomputed later)", s -> s.numPreemptions());
        counter(engine, model, "minitron:prefix_cache_queries",
                "Prompt tokens looked up in the prefix cache", s -> s.prefixCacheQueries());
        counter(engine, model, "minitron:prefix_cache_hits",
                "Prompt tokens found in the prefix cache", s -> s.prefixCacheHits());
        counter(engine, model, "minitron:engine_steps",
                "Model steps the engine ran", s -> s.numSteps());
    }

    private void gauge(LlmEngine engine, Tags tags, String name, String help, ToDoubleFunction<EngineStats> read) {
        meters.add(Gauge.builder(name, engine, e -> read.applyAsDouble(e.stats()))
                .description(help).tags(tags).strongReference(true).register(registry));
    }

    private void counter(LlmEngine engine, Tags tags, String name, String help, ToDoubleFunction<EngineStats> read) {
        meters.add(FunctionCounter.builder(name, engine, e -> read.applyAsDouble(e.stats()))
                .description(help).tags(tags).register(registry));
    }

    /**
     * Takes the meters out of the registry: they read this engine, and a registry can outlive the
     * application (Quarkus keeps one across restarts in a JVM, as in tests), where a later
     * registration of the same name would otherwise be ignored and keep reading a closed engine.
     */
    @jakarta.annotation.PreDestroy
    void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
