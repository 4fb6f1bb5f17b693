package dev.minitron.engine.backend;

import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.backend.cuda.CudaBackend;
import dev.minitron.engine.backend.cuda.CudaUnavailableException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens the backend a user asked for: {@code cpu}, {@code cuda}, or {@code auto} (CUDA when a usable
 * GPU and its libraries are present, otherwise the CPU backend, with one log line saying why), or
 * {@code simulated} ({@link SimulatedBackend}: fixed-time steps, no model, for benchmarks of what
 * surrounds the model; {@code auto} never picks it).
 */
public final class Backends {

    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private Backends() {
    }

    /** {@link #open(String, Path, int, SimulatedBackend.StepTime)} with the default simulated step time. */
    public static Backend open(String device, Path checkpointDir, int cpuThreads) {
        return open(device, checkpointDir, cpuThreads, SimulatedBackend.StepTime.DEFAULT);
    }

    /**
     * @param device        {@code auto}, {@code cpu}, {@code cuda} or {@code simulated}
     * @param cpuThreads    threads for the CPU backend (0: every core)
     * @param simulatedStep how long a step of the {@code simulated} device takes
     */
    public static Backend open(String device, Path checkpointDir, int cpuThreads, SimulatedBackend.StepTime simulatedStep) {
        int threads = cpuThreads <= 0 ? Runtime.getRuntime().availableProcessors() : cpuThreads;
        return switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu" -> CpuBackend.load(checkpointDir, threads);
            case "cuda" -> CudaBackend.load(checkpointDir);
            case "simulated" -> SimulatedBackend.load(checkpointDir, simulatedStep);
            case "auto" -> {
                try {
                    yield CudaBackend.load(checkpointDir);
                } catch (CudaUnavailableException e) {
                    LOG.log(System.Logger.Level.INFO, "device auto: using the cpu backend ({0} threads): {1}",
                            threads, e.getMessage());
                    yield CpuBackend.load(checkpointDir, threads);
                }
            }
            default -> throw new IllegalArgumentException("device must be auto, cpu, cuda or simulated, got \"" + device + "\"");
        };
    }

    /**
     * {@code backend} behind a {@link FaultInjectingBackend} when {@code faults} can inject anything,
     * else {@code backend} itself. For fault tests only; never on by default.
     */
    public static Backend withFaults(Backend backend, FaultInjection faults) {
        return faults.enabled() ? new FaultInjectingBackend(backend, faults) : backend;
    }
}
