package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;

/**
 * A captured and instantiated CUDA graph: the kernels of one decode step at one batch bucket,
 * replayed with one launch instead of a few hundred. Device pointers are baked in at capture, so
 * the buffers they point at must not move while the graph lives.
 */
final class CudaGraph implements AutoCloseable {

    private CUgraphExec_st exec;

    private CudaGraph(CUgraphExec_st exec) {
        this.exec = exec;
    }

    /** Records what {@code work} enqueues on {@code stream} (nothing runs) and instantiates it. */
    static CudaGraph capture(CudaStream stream, Runnable work) {
        Cuda.check(cuStreamBeginCapture(stream.raw(), CU_STREAM_CAPTURE_MODE_THREAD_LOCAL), "cuStreamBeginCapture");
        CUgraph_st graph = new CUgraph_st();
        try {
            work.run();
        } catch (RuntimeException e) {
            cuStreamEndCapture(stream.raw(), graph);
            if (!graph.isNull()) {
                cuGraphDestroy(graph);
            }
            throw e;
        }
        Cuda.check(cuStreamEndCapture(stream.raw(), graph), "cuStreamEndCapture");
        try {
            CUgraphExec_st exec = new CUgraphExec_st();
            Cuda.check(cuGraphInstantiate(exec, graph, 0L), "cuGraphInstantiate");
            return new CudaGraph(exec);
        } finally {
            cuGraphDestroy(graph);
        }
    }

    void launch(CudaStream stream) {
        Cuda.check(cuGraphLaunch(exec, stream.raw()), "cuGraphLaunch");
    }

    @Override
    public void close() {
        if (exec != null) {
            cuGraphExecDestroy(exec);
            exec = null;
        }
    }
}
