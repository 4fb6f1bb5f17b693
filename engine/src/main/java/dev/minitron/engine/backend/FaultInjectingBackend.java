package dev.minitron.engine.backend;

import dev.minitron.engine.config.ModelConfig;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Backend} that makes model steps fail on purpose, for fault tests only (a chaos harness
 * that starts real workers): never on by default, never in production. Before each
 * {@link #forward} or {@link #forwardAndSample} it draws, from a generator seeded by
 * {@link FaultInjection#seed()}, whether to throw
 * <ul>
 * <li>{@link InjectedDeviceLoss} (probability {@link FaultInjection#deathRate()}): the engine loop
 * dies, as on a lost device;</li>
 * <li>{@link InjectedFault} (probability {@link FaultInjection#stepFailureRate()}): the step fails
 * and its requests end with an error.</li>
 * </ul>
 * Every call draws both numbers, so for a given seed the n-th step's fate does not depend on what
 * happened before. Everything else goes straight to the delegate. Use
 * {@link Backends#withFaults}, which leaves a backend undecorated when no fault is configured.
 */
public final class FaultInjectingBackend implements Backend, DeviceSampling {

    private final Backend delegate;
    private final FaultInjection faults;
    private final SplittableRandom random;   // engine thread only, like every Backend call
    private final AtomicLong steps = new AtomicLong();
    private final AtomicLong stepFailures = new AtomicLong();
    private final AtomicLong deviceLosses = new AtomicLong();

    public FaultInjectingBackend(Backend delegate, FaultInjection faults) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.random = new SplittableRandom(faults.seed());
    }

    public Backend delegate() {
        return delegate;
    }

    public FaultInjection faults() {
        return faults;
    }

    /** Model steps asked for ({@link #forward} and {@link #forwardAndSample} calls), failed or not. */
    public long steps() {
        return steps.get();
    }

    /** {@link InjectedFault}s thrown. */
    public long injectedStepFailures() {
        return stepFailures.get();
    }

    /** {@link InjectedDeviceLoss}es thrown. */
    public long injectedDeviceLosses() {
        return deviceLosses.get();
    }

    @Override
    public float[][] forward(ForwardBatch batch) {
        maybeFail();
        return delegate.forward(batch);
    }

    /** @throws UnsupportedOperationException when the delegate does not sample on its device */
    @Override
    public SampledTokens forwardAndSample(ForwardBatch batch, SamplingRow[] rows) {
        if (!(delegate instanceof DeviceSampling device)) {
            throw new UnsupportedOperationException(delegate.name() + " does not sample on its device");
        }
        maybeFail();
        return device.forwardAndSample(batch, rows);
    }

    @Override
    public boolean samplesOnDevice() {
        return delegate instanceof DeviceSampling device && device.samplesOnDevice();
    }

    private void maybeFail() {
        steps.incrementAndGet();
        boolean die = random.nextDouble() < faults.deathRate();
        boolean fail = random.nextDouble() < faults.stepFailureRate();
        if (die) {
            deviceLosses.incrementAndGet();
            throw new InjectedDeviceLoss();
        }
        if (fail) {
            stepFailures.incrementAndGet();
            throw new InjectedFault();
        }
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public ModelConfig modelConfig() {
        return delegate.modelConfig();
    }

    @Override
    public long kvBytesPerBlock(int blockSize) {
        return delegate.kvBytesPerBlock(blockSize);
    }

    @Override
    public OptionalLong deviceKvBytes(double gpuMemoryUtilization, int maxNumBatchedTokens, int maxNumSeqs) {
        return delegate.deviceKvBytes(gpuMemoryUtilization, maxNumBatchedTokens, maxNumSeqs);
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        delegate.allocateKvCache(numBlocks, blockSize);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "FaultInjectingBackend[" + delegate.name() + ", " + faults + "]";
    }
}
