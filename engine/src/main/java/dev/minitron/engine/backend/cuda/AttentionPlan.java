package dev.minitron.engine.backend.cuda;

/**
 * How one step's attention is launched (attention.cu): decode (split-context kernel + log-sum-exp
 * reduce) or prefill (16-query tiles), with grid dimensions and the decode workspace sizes. Pure
 * arithmetic, so CUDA-graph buckets can size buffers once from (numSeqs, maxModelLen).
 *
 * <p>Decode is chosen when every sequence has exactly one new token ({@code maxQueryLen == 1} with
 * one qkv row per sequence: the decode kernel reads qkv row {@code s} for sequence {@code s}); any
 * other batch (prompts, chunked prefill, mixes) uses the prefill kernel, which handles every query
 * length. Both kernels run 128-thread blocks with static shared memory only ({@code sharedBytes} 0).
 *
 * <p>Decode geometry: grid {@code (numSeqs, kvHeads, maxPartitions)}; each block reads every K/V
 * vector of its partition once for all {@code heads/kvHeads} query heads of its group. Reduce grid
 * {@code (numSeqs, heads)}. Workspace (fp32): partialOut {@code [numSeqs, heads, maxPartitions,
 * headDim]}, partialMax and partialSum {@code [numSeqs, heads, maxPartitions]}; none of it needs
 * clearing (partitions past a sequence's length are neither written nor read).
 *
 * @param decode         true: launch {@code paged_attention_decode_T} then {@code paged_attention_reduce_T}
 * @param grid           grid of the decode or prefill kernel
 * @param reduceGrid     grid of the reduce kernel (decode only; {@code null} for prefill)
 * @param partitionSize  keys per decode partition (decode only; 0 for prefill)
 * @param maxPartitions  {@code ceil(maxModelLen / partitionSize)} (decode only; 0 for prefill)
 * @param partialOutBytes  bytes of partialOut (0 for prefill)
 * @param partialMaxBytes  bytes of partialMax (0 for prefill)
 * @param partialSumBytes  bytes of partialSum (0 for prefill)
 */
public record AttentionPlan(boolean decode, Dim3 grid, Dim3 reduceGrid, int partitionSize, int maxPartitions,
                            long partialOutBytes, long partialMaxBytes, long partialSumBytes) {

    /** Threads per block of every attention kernel. */
    public static final Dim3 BLOCK = Dim3.of(128);
    /** Query tokens per prefill block (grid z = ceil(maxQueryLen / PREFILL_Q_TILE)). */
    public static final int PREFILL_Q_TILE = 16;
    /** Decode partition size: long enough to amortize the reduce, short enough to fill the GPU at 1k+ context. */
    public static final int DEFAULT_PARTITION_SIZE = 512;
    /** Largest head size the kernels accept (and it must be a multiple of 8: 16-byte vectors). */
    public static final int MAX_HEAD_DIM = 256;

    public static final String DECODE_KERNEL = "paged_attention_decode_";
    public static final String REDUCE_KERNEL = "paged_attention_reduce_";
    public static final String PREFILL_KERNEL = "paged_attention_prefill_";

    /** The plan with the default partition size (512). */
    public static AttentionPlan of(int numSeqs, int maxQueryLen, int maxModelLen, int heads, int kvHeads, int headDim,
                                   int blockSize) {
        return of(numSeqs, maxQueryLen, maxModelLen, heads, kvHeads, headDim, blockSize, DEFAULT_PARTITION_SIZE);
    }

    /**
     * @param numSeqs      sequences in the step (including padding sequences of a graph bucket)
     * @param maxQueryLen  largest number of new tokens of one sequence in this step
     * @param maxModelLen  largest context a sequence can have (sizes the decode workspace)
     * @param blockSize    KV cache block size (validated only; the kernels take it as an argument)
     */
    public static AttentionPlan of(int numSeqs, int maxQueryLen, int maxModelLen, int heads, int kvHeads, int headDim,
                                   int blockSize, int partitionSize) {
        require(numSeqs > 0, "numSeqs must be positive: " + numSeqs);
        require(maxQueryLen > 0, "maxQueryLen must be positive: " + maxQueryLen);
        require(maxModelLen > 0, "maxModelLen must be positive: " + maxModelLen);
        require(heads > 0 && kvHeads > 0 && heads % kvHeads == 0,
                "heads must be a positive multiple of kvHeads: " + heads + "/" + kvHeads);
        require(headDim > 0 && headDim % 8 == 0 && headDim <= MAX_HEAD_DIM,
                "headDim must be a multiple of 8 up to " + MAX_HEAD_DIM + ": " + headDim);
        require(blockSize > 0, "blockSize must be positive: " + blockSize);
        require(partitionSize > 0, "partitionSize must be positive: " + partitionSize);
        if (maxQueryLen == 1) {
            int maxPartitions = ceilDiv(maxModelLen, partitionSize);
            long rows = (long) numSeqs * heads * maxPartitions;
            return new AttentionPlan(true, Dim3.of(numSeqs, kvHeads, maxPartitions), Dim3.of(numSeqs, heads),
                    partitionSize, maxPartitions, rows * headDim * Float.BYTES, rows * Float.BYTES, rows * Float.BYTES);
        }
        return new AttentionPlan(false, Dim3.of(numSeqs, kvHeads, ceilDiv(maxQueryLen, PREFILL_Q_TILE)), null, 0, 0,
                0, 0, 0);
    }

    /** True when every sequence of {@code queryStartLoc} ({@code numSeqs + 1} entries) has exactly one new token. */
    public static boolean allSingleToken(int[] queryStartLoc, int numSeqs) {
        for (int s = 0; s < numSeqs; s++) {
            if (queryStartLoc[s + 1] - queryStartLoc[s] != 1) {
                return false;
            }
        }
        return true;
    }

    /** Total decode workspace bytes (0 for prefill). */
    public long workspaceBytes() {
        return partialOutBytes + partialMaxBytes + partialSumBytes;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
