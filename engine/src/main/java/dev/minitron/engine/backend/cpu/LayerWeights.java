package dev.minitron.engine.backend.cpu;

/** One decoder layer's weights; matrices are {@code [out, in]}. */
record LayerWeights(
        LayerNorm1P inputLayernorm,
        WeightMatrix qProj,              // [heads * headDim, hidden]
        WeightMatrix kProj,              // [kvHeads * headDim, hidden]
        WeightMatrix vProj,              // [kvHeads * headDim, hidden]
        WeightMatrix oProj,              // [hidden, heads * headDim]
        LayerNorm1P postAttentionLayernorm,
        WeightMatrix upProj,             // [intermediate, hidden]
        WeightMatrix downProj) {         // [hidden, intermediate]

    /** q, k and v: one parallel matmul over the same normalised input. */
    WeightMatrix[] qkvProj() {
        return new WeightMatrix[] {qProj, kProj, vProj};
    }
}
