package dev.minitron.engine.backend;

import dev.minitron.engine.config.ModelConfig;

/**
 * Runs the model on one device. The engine thread is the only caller: implementations need no
 * locking. The paged KV cache lives inside the backend (device memory on CUDA, heap on CPU); the
 * engine only hands out slot numbers and block tables.
 */
public interface Backend extends AutoCloseable {

    /** {@code cpu}, {@code cuda}. */
    String name();

    ModelConfig modelConfig();

    /** Bytes one KV block of {@code blockSize} tokens takes across all layers, K and V. */
    long kvBytesPerBlock(int blockSize);

    /**
     * The KV budget on a device backend, vLLM's way: {@code gpuMemoryUtilization × total} minus what
     * the weights and the step buffers for {@code maxNumBatchedTokens} tokens (allocated by this call,
     * the profiling pass) already hold. Empty on the CPU, where the engine's {@code kvCacheBytes} is
     * the budget. Called once, before {@link #allocateKvCache}.
     */
    default java.util.OptionalLong deviceKvBytes(double gpuMemoryUtilization, int maxNumBatchedTokens, int maxNumSeqs) {
        return java.util.OptionalLong.empty();
    }

    /** Allocates the paged KV cache: [numBlocks, blockSize, kvHeads, headDim] per layer for K and V. */
    void allocateKvCache(int numBlocks, int blockSize);

    /**
     * Runs the model over {@code batch}: writes each token's K/V at its slot, attends causally over
     * each sequence's block table, and returns the logits of the rows in
     * {@code batch.logitsIndices()}, one {@code float[vocabSize]} per row.
     */
    float[][] forward(ForwardBatch batch);

    @Override
    void close();
}
