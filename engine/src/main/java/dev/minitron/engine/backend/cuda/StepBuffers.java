package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.io.DType;

/**
 * The device buffers of one step, sized for up to {@code tokens} tokens, {@code seqs} sequences and
 * {@code rows} logits rows: activations (fp32 residual stream, model-dtype GEMM inputs, fp32 GEMM
 * outputs), the attention workspace and the step's metadata (ints, uploaded in one copy from a
 * pinned buffer). They are allocated at the largest step the engine can schedule (the profiling
 * pass) and reallocated only if a bigger one comes, which also invalidates captured graphs.
 */
final class StepBuffers implements AutoCloseable {

    final int tokens;
    final int seqs;
    final int rows;
    final int maxBlocksPerSeq;
    final long partialSlots;
    final DeviceMemory h;        // fp32 [tokens, hidden]
    final DeviceMemory x;        // T    [tokens, max(hidden, qSize)] normalized input / attention output
    final DeviceMemory qkv;      // fp32 [tokens, qkvStride]
    final DeviceMemory attn;     // T    [tokens, qSize]
    final DeviceMemory up;       // fp32 [tokens, intermediate]
    final DeviceMemory act;      // T    [tokens, intermediate]
    final DeviceMemory logits;   // fp32 [rows, vocab]
    final DeviceMemory partialOut; // fp32 [seqs, heads, partitions, headDim]
    final DeviceMemory partialMax; // fp32 [seqs, heads, partitions]
    final DeviceMemory partialSum; // fp32 [seqs, heads, partitions]
    final DeviceMemory meta;     // int32, see MetaLayout
    final PinnedBuffer metaHost;
    private final DeviceMemory[] all;

    StepBuffers(ModelConfig c, DType dtype, int tokens, int seqs, int rows, int maxBlocksPerSeq, long partialSlots) {
        this.tokens = tokens;
        this.seqs = seqs;
        this.rows = rows;
        this.maxBlocksPerSeq = maxBlocksPerSeq;
        this.partialSlots = partialSlots;
        int e = dtype.byteSize();
        int qkvStride = c.qSize() + 2 * c.kvSize();
        long t = tokens;
        h = DeviceMemory.allocate(t * c.hiddenSize() * 4);
        x = DeviceMemory.allocate(t * Math.max(c.hiddenSize(), c.qSize()) * e);
        qkv = DeviceMemory.allocate(t * qkvStride * 4);
        attn = DeviceMemory.allocate(t * c.qSize() * e);
        up = DeviceMemory.allocate(t * c.intermediateSize() * 4);
        act = DeviceMemory.allocate(t * c.intermediateSize() * e);
        logits = DeviceMemory.allocate((long) rows * c.vocabSize() * 4);
        long partials = partialSlots; // (sequence, head, partition) triples of the split decode attention
        partialOut = DeviceMemory.allocate(partials * c.headDim() * 4);
        partialMax = DeviceMemory.allocate(partials * 4);
        partialSum = DeviceMemory.allocate(partials * 4);
        long metaInts = MetaLayout.capacityInts(tokens, seqs, rows, maxBlocksPerSeq);
        meta = DeviceMemory.allocate(metaInts * 4);
        metaHost = new PinnedBuffer(metaInts * 4);
        all = new DeviceMemory[] {h, x, qkv, attn, up, act, logits, partialOut, partialMax, partialSum, meta};
    }

    /** Device bytes these buffers hold (the activation peak of the largest step). */
    long deviceBytes() {
        long b = 0;
        for (DeviceMemory m : all) {
            b += m.bytes();
        }
        return b;
    }

    boolean fits(int n, int numSeqs, int numRows) {
        return n <= tokens && numSeqs <= seqs && numRows <= rows;
    }

    @Override
    public void close() {
        for (DeviceMemory m : all) {
            m.close();
        }
        metaHost.close();
    }
}
