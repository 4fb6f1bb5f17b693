package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.Backend;
import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.config.ModelConfig;
import java.nio.file.Path;

/** {@code NemotronForCausalLM} on one NVIDIA GPU. (Skeleton: being written.) */
public final class CudaBackend implements Backend {

    private CudaBackend() {
    }

    public static CudaBackend load(Path checkpointDir) {
        throw new CudaUnavailableException("the cuda backend is not built yet");
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public ModelConfig modelConfig() {
        throw new UnsupportedOperationException();
    }

    @Override
    public long kvBytesPerBlock(int blockSize) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        throw new UnsupportedOperationException();
    }

    @Override
    public float[][] forward(ForwardBatch batch) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
