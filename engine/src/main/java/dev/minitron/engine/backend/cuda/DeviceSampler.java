package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;

/** STUB: replaced by the sampling kernel's launcher (wt-sampling). */
public final class DeviceSampler implements AutoCloseable {

    public DeviceSampler(Kernel sampleKernel, int vocab) {
    }

    public SampledTokens sample(CudaStream stream, long logitsPtr, int vocab, SamplingRow[] rows) {
        throw new UnsupportedOperationException("device sampling is not built yet");
    }

    @Override
    public void close() {
    }
}
