package dev.minitron.engine.backend.cpu;

/** {@code y = x · Wᵀ} for a batch of activation rows, parallel over the weight's output rows. */
final class Matmul {

    /** Most weight rows per task: 64 rows of a 4096-wide bf16 matrix are 512 KiB, an L2's worth. */
    private static final int MAX_ROWS_PER_TASK = 64;

    private final Parallel parallel;

    Matmul(Parallel parallel) {
        this.parallel = parallel;
    }

    /** x is {@code [n, w.cols()]}; returns {@code [n, w.rows()]}. */
    float[] apply(WeightMatrix w, float[] x, int n) {
        if (x.length < n * w.cols()) {
            throw new IllegalArgumentException(w.name() + ": input has " + x.length + " floats, need " + n + " x " + w.cols());
        }
        float[] out = new float[n * w.rows()];
        int grain = parallel.grain(w.rows(), 4, MAX_ROWS_PER_TASK);
        parallel.forRange(w.rows(), grain, (from, to) -> w.matmulRows(x, n, out, from, to));
        return out;
    }
}
