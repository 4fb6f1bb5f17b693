package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.config.ModelConfig;

/**
 * Causal grouped-query attention over the paged KV cache: the query at position p of a sequence
 * attends to that sequence's positions 0…p, found through its block table. Scores are scaled by
 * 1/√headDim and soft-maxed in fp32.
 */
final class PagedAttention {

    private final int heads;
    private final int headDim;
    private final int queriesPerKvHead;
    private final int qSize;
    private final int kvSize;
    private final float scale;
    private final Parallel parallel;

    PagedAttention(ModelConfig config, Parallel parallel) {
        this.heads = config.numAttentionHeads();
        this.headDim = config.headDim();
        this.queriesPerKvHead = config.queriesPerKvHead();
        this.qSize = config.qSize();
        this.kvSize = config.kvSize();
        this.scale = (float) (1.0 / Math.sqrt(headDim));
        this.parallel = parallel;
    }

    /**
     * q is {@code [n, heads, headDim]} after RoPE; the new tokens' K/V are already in the cache.
     * Returns the attention output {@code [n, heads, headDim]}.
     */
    float[] apply(float[] q, PagedKvCache cache, int layer, ForwardBatch batch, int[] seqOfToken) {
        int n = batch.numTokens();
        float[] out = new float[n * qSize];
        int maxContext = 0;
        for (int len : batch.seqLens()) {
            maxContext = Math.max(maxContext, len);
        }
        int contextCapacity = maxContext;
        int pairs = n * heads;
        parallel.forRange(pairs, parallel.grain(pairs, 4, 64), (from, to) -> {
            float[] scores = new float[contextCapacity];
            float[] lanes = VectorKernels.lanes();
            for (int pair = from; pair < to; pair++) {
                int t = pair / heads;
                int h = pair % heads;
                int seq = seqOfToken[t];
                attendOne(q, t, h, batch.positions()[t], batch.blockTables()[seq], cache, layer, scores, lanes, out);
            }
        });
        return out;
    }

    private void attendOne(float[] q, int t, int h, int position, int[] blockTable, PagedKvCache cache, int layer,
                           float[] scores, float[] lanes, float[] out) {
        float[] keys = cache.keys(layer);
        float[] values = cache.values(layer);
        int qOff = t * qSize + h * headDim;
        int kvOff = (h / queriesPerKvHead) * headDim;
        int context = position + 1;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < context; j++) {
            int slot = cache.slot(blockTable, j);
            float s = VectorKernels.dot(q, qOff, keys, slot * kvSize + kvOff, headDim, lanes) * scale;
            scores[j] = s;
            max = Math.max(max, s);
        }
        float sum = 0;
        for (int j = 0; j < context; j++) {
            float e = (float) Math.exp(scores[j] - max);
            scores[j] = e;
            sum += e;
        }
        float inv = 1.0f / sum;
        for (int j = 0; j < context; j++) {
            int slot = cache.slot(blockTable, j);
            VectorKernels.axpy(scores[j] * inv, values, slot * kvSize + kvOff, out, qOff, headDim);
        }
    }
}
