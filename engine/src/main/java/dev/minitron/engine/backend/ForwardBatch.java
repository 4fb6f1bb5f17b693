package dev.minitron.engine.backend;

/**
 * One engine step's work for the model, flattened the way vLLM's model runner flattens it: the
 * new tokens of every scheduled sequence, back to back.
 *
 * @param tokenIds       [numTokens] the tokens whose K/V this step computes
 * @param positions      [numTokens] each token's position in its sequence (0-based)
 * @param slotMapping    [numTokens] KV slot of each token: block * blockSize + offset in block
 * @param queryStartLoc  [numSeqs + 1] where each sequence's tokens start in {@code tokenIds}
 * @param seqLens        [numSeqs] each sequence's context length after this step (cached + new)
 * @param blockTables    [numSeqs][*] the KV block ids of each sequence, in order
 * @param logitsIndices  [numSamples] rows of {@code tokenIds} whose logits are wanted
 *                       (normally the last token of each sequence that finishes its prompt or decodes)
 */
public record ForwardBatch(
        int[] tokenIds,
        int[] positions,
        int[] slotMapping,
        int[] queryStartLoc,
        int[] seqLens,
        int[][] blockTables,
        int[] logitsIndices) {

    public ForwardBatch {
        int n = tokenIds.length;
        if (positions.length != n || slotMapping.length != n) {
            throw new IllegalArgumentException("positions/slotMapping must match tokenIds");
        }
        if (queryStartLoc.length != seqLens.length + 1 || blockTables.length != seqLens.length) {
            throw new IllegalArgumentException("per-sequence arrays disagree");
        }
        if (queryStartLoc[0] != 0 || queryStartLoc[seqLens.length] != n) {
            throw new IllegalArgumentException("queryStartLoc must cover tokenIds");
        }
    }

    public int numTokens() {
        return tokenIds.length;
    }

    public int numSeqs() {
        return seqLens.length;
    }
}
