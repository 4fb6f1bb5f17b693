package dev.minitron.worker.engine;

import dev.minitron.engine.EngineConfig;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.Backends;
import dev.minitron.engine.backend.FaultInjection;
import dev.minitron.engine.backend.SimulatedBackend;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.engine.tokenizer.Tokenizers;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.tracing.EngineTracer;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * The worker's one engine: loads the checkpoint at startup (so readiness means "model loaded, KV
 * allocated") and closes it on shutdown, after the Kafka side has drained.
 */
@Startup
@ApplicationScoped
public class EngineHolder {

    private static final Logger LOG = Logger.getLogger(EngineHolder.class);

    private final LlmEngine engine;
    private final String modelName;

    public EngineHolder(WorkerConfig config, EngineTracer tracer) {
        Path dir = config.model().path().orElseThrow(() -> new IllegalStateException(
                "minitron.model.path is not set: point it at a Hugging Face checkpoint directory "
                        + "(config.json, model.safetensors, tokenizer.model), e.g. -Dminitron.model.path=/models/Minitron-8B-Base"));
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("minitron.model.path " + dir + " is not a directory");
        }
        this.modelName = config.model().name().orElse(dir.toAbsolutePath().normalize().getFileName().toString());
        long start = System.nanoTime();
        WorkerConfig.Engine e = config.engine();
        Tokenizer tokenizer = Tokenizers.load(dir);
        FaultInjection faults = faultInjection(e.faultInjection());
        var simulatedStep = new SimulatedBackend.StepTime(e.simulatedStepTime(), e.simulatedTokenTime());
        Backend backend = Backends.withFaults(Backends.open(e.device(), dir, e.threads(), simulatedStep), faults);
        EngineConfig engineConfig = new EngineConfig(e.maxNumSeqs(), e.maxNumBatchedTokens(), e.maxModelLen(),
                e.blockSize(), e.kvCacheBytes(), Math.max(1, config.consumer().maxInFlight()))
                .withGpuMemoryUtilization(e.gpuMemoryUtilization());
        this.engine = new LlmEngine(backend, tokenizer, engineConfig, tracer.observer());
        LOG.infof("model %s loaded on %s in %d ms (max_model_len %d)", modelName, backend.name(),
                (System.nanoTime() - start) / 1_000_000, engine.maxModelLen());
    }

    /** The configured fault injection (fault tests only), checked before the model is loaded. */
    private static FaultInjection faultInjection(WorkerConfig.Engine.FaultInjection c) {
        FaultInjection faults;
        try {
            faults = new FaultInjection(c.stepFailureRate(), c.deathRate(), c.seed());
        } catch (IllegalArgumentException ex) {
            throw new IllegalStateException("minitron.engine.fault-injection: " + ex.getMessage(), ex);
        }
        if (faults.enabled()) {
            LOG.warnf("fault injection is ON: step-failure-rate=%s, death-rate=%s, seed=%d; for fault tests only",
                    faults.stepFailureRate(), faults.deathRate(), faults.seed());
        }
        return faults;
    }

    public LlmEngine engine() {
        return engine;
    }

    public String modelName() {
        return modelName;
    }

    @PreDestroy
    void close() {
        engine.close();
        engine.backend().close();
    }
}
