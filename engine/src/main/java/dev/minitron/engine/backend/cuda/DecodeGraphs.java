package dev.minitron.engine.backend.cuda;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The CUDA graphs of pure decode steps, one per batch bucket ({@link GraphBuckets}). A bucket's
 * first step runs eagerly (so cuBLAS makes its lazy allocations outside any capture), its second
 * captures the step and replays it, later ones only replay. A capture that fails leaves its bucket
 * eager for good instead of failing every step. Graphs bake in device pointers, so
 * {@link #clear} must be called whenever the buffers they use move.
 */
final class DecodeGraphs implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DecodeGraphs.class.getName());

    private final boolean enabled;
    private final Map<Integer, CudaGraph> graphs = new HashMap<>();
    private final Set<Integer> warmed = new HashSet<>();
    private final Set<Integer> eagerOnly = new HashSet<>();
    private GraphBuckets buckets;
    private long replays;
    private long eagerSteps;

    DecodeGraphs(boolean enabled) {
        this.enabled = enabled;
    }

    /**
     * The bucket a pure decode step of {@code numSeqs} sequences pads to, or -1 (no graph: graphs
     * off, or larger than the largest bucket, {@code maxBatch}).
     */
    int bucketFor(int numSeqs, int maxBatch) {
        if (!enabled) {
            return -1;
        }
        if (buckets == null) {
            buckets = new GraphBuckets(Math.max(1, maxBatch));
        }
        return buckets.bucketFor(numSeqs);
    }

    /** Runs one step's {@code work} on {@code stream}: replayed, captured or eager; {@code bucket} -1 is always eager. */
    void run(CudaStream stream, int bucket, Runnable work) {
        CudaGraph g = bucket > 0 ? graphs.get(bucket) : null;
        if (g == null && bucket > 0 && warmed.contains(bucket) && !eagerOnly.contains(bucket)) {
            try {
                g = CudaGraph.capture(stream, work);
                graphs.put(bucket, g);
            } catch (CudaException e) {
                eagerOnly.add(bucket);
                LOG.log(System.Logger.Level.WARNING, "cuda backend: capturing the decode graph of batch {0} failed ({1});"
                        + " that batch size runs without a graph", bucket, e.getMessage());
                stream.synchronize();
            }
        }
        if (g != null) {
            g.launch(stream);
            replays++;
            return;
        }
        if (bucket > 0) {
            warmed.add(bucket);
        }
        work.run();
        eagerSteps++;
    }

    /** Drops every graph (the buffers they point at are about to move) and forgets the buckets. */
    void clear() {
        for (CudaGraph g : graphs.values()) {
            g.close();
        }
        graphs.clear();
        warmed.clear();
        buckets = null;
    }

    long replays() {
        return replays;
    }

    long eagerSteps() {
        return eagerSteps;
    }

    @Override
    public void close() {
        clear();
    }
}
