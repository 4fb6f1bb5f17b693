package dev.minitron.engine;

import dev.minitron.engine.backend.cpu.CpuBackend;
import java.util.LinkedHashMap;
import java.util.Map;

/** An {@link EngineCore} on the real CPU backend over the tiny checkpoint, stepped by the test itself. */
final class CoreDriver implements AutoCloseable {

    final CpuBackend backend = CpuBackend.load(EngineHarness.checkpoint(), 1);
    final EngineCore core;
    final Map<String, EngineHarness.Collected> outputs = new LinkedHashMap<>();

    CoreDriver(EngineConfig config) {
        core = new EngineCore(backend, EngineHarness.tokenizer(), config);
    }

    EngineHarness.Collected add(EngineRequest request) {
        var c = new EngineHarness.Collected();
        outputs.put(request.requestId(), c);
        core.add(request, c);
        return c;
    }

    /** Steps until nothing is left; fails if that takes more than {@code maxSteps}. */
    void drain(int maxSteps) {
        for (int i = 0; core.hasWork(); i++) {
            if (i >= maxSteps) {
                throw new AssertionError("the engine did not drain in " + maxSteps + " steps");
            }
            core.step();
        }
    }

    EngineStats stats() {
        return core.stats(0, 0, true);
    }

    int vocabSize() {
        return backend.modelConfig().vocabSize();
    }

    @Override
    public void close() {
        backend.close();
    }
}
