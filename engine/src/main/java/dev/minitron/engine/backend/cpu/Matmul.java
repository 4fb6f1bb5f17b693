package dev.minitron.engine.backend.cpu;

/**
 * {@code y = x · Wᵀ} for a batch of activation rows, parallel over the weight's output rows. Several
 * matrices that read the same input (q, k and v) run as one parallel loop: one start and one join
 * instead of three.
 */
final class Matmul {

    /** Most weight rows per task: 64 rows of a 4096-wide bf16 matrix are 512 KiB, an L2's worth. */
    private static final int MAX_ROWS_PER_TASK = 64;
    /** Tasks start on a multiple of this many rows, the kernels' row block. */
    private static final int ROW_ALIGN = 4;

    private final Parallel parallel;

    Matmul(Parallel parallel) {
        this.parallel = parallel;
    }

    /** x is {@code [n, w.cols()]}; returns {@code [n, w.rows()]}. */
    float[] apply(WeightMatrix w, float[] x, int n) {
        return apply(new WeightMatrix[] {w}, x, n)[0];
    }

    /** Each matrix times the same x ({@code [n, cols]}, one cols for all); returns one {@code [n, rows]} per matrix. */
    float[][] apply(WeightMatrix[] ws, float[] x, int n) {
        int totalRows = 0;
        for (WeightMatrix w : ws) {
            if (w.cols() != ws[0].cols() || x.length < n * w.cols()) {
                throw new IllegalArgumentException(w.name() + ": input has " + x.length + " floats, need " + n + " x " + w.cols());
            }
            totalRows += w.rows();
        }
        float[][] outs = new float[ws.length][];
        float[][] packed = new float[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            outs[i] = new float[n * ws[i].rows()];
            packed[i] = i > 0 && ws[i].getClass() == ws[i - 1].getClass() ? packed[i - 1] : ws[i].packInput(x, n);
        }
        int grain = Math.max(ROW_ALIGN, parallel.grain(totalRows, 4, MAX_ROWS_PER_TASK) / ROW_ALIGN * ROW_ALIGN);
        // Tasks never straddle two matrices: each matrix's rows are split into its own tasks.
        int[] firstTask = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            firstTask[i + 1] = firstTask[i] + (ws[i].rows() + grain - 1) / grain;
        }
        parallel.forRange(firstTask[ws.length], 1, (from, to) -> {
            int m = 0;
            for (int task = from; task < to; task++) {
                while (task >= firstTask[m + 1]) {
                    m++;
                }
                int row = (task - firstTask[m]) * grain;
                ws[m].matmulRows(packed[m], n, outs[m], row, Math.min(ws[m].rows(), row + grain));
            }
        });
        return outs;
    }
}
