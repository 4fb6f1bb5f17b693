package dev.minitron.worker.testing;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a greedy prompt must yield, computed by the engine directly (no Kafka, no worker) in the test
 * JVM from the same checkpoint: greedy decoding is deterministic, so any worker, on any attempt,
 * must answer the same text.
 */
public final class ReferenceTexts {

    /** One greedy request: prompt text and exactly {@code maxTokens} generated tokens (ignore_eos). */
    public record Greedy(String prompt, int maxTokens) {
    }

    private ReferenceTexts() {
    }

    public static Map<Greedy, String> compute(Path model, Iterable<Greedy> requests) throws Exception {
        var tokenizer = Tokenizers.load(model);
        Map<Greedy, CompletableFuture<String>> pending = new HashMap<>();
        try (CpuBackend backend = CpuBackend.load(model, 1);
             LlmEngine engine = new LlmEngine(backend, tokenizer, EngineConfig.defaults())) {
            int n = 0;
            for (Greedy g : requests) {
                if (pending.containsKey(g)) {
                    continue;
                }
                var future = new CompletableFuture<String>();
                pending.put(g, future);
                var params = SamplingParams.builder().maxTokens(g.maxTokens()).temperature(0).ignoreEos(true).build();
                engine.addRequest(new EngineRequest("ref-" + n++, tokenizer.encode(g.prompt()), params), o -> {
                    if (o instanceof RequestOutput.Finished f) {
                        future.complete(f.text());
                    }
                });
            }
            Map<Greedy, String> out = new HashMap<>();
            for (var e : pending.entrySet()) {
                out.put(e.getKey(), e.getValue().get(120, TimeUnit.SECONDS));
            }
            return out;
        }
    }
}
