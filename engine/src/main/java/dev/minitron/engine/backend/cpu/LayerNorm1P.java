package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.CheckpointException;
import dev.minitron.engine.io.TensorView;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Nemotron's LayerNorm1P: {@code (x − μ)/√(σ² + eps) · (1 + w) + b} with fp32 statistics. The
 * checkpoint stores {@code w = γ − 1}; like Hugging Face, the 1 is added in the weight's dtype.
 */
public final class LayerNorm1P {

    private static final System.Logger LOG = System.getLogger(LayerNorm1P.class.getName());

    private final float[] gamma; // [hidden] 1 + w, rounded to the stored dtype
    private final float[] beta;  // [hidden]
    private final float eps;

    LayerNorm1P(float[] gamma, float[] beta, float eps) {
        if (gamma.length != beta.length) {
            throw new IllegalArgumentException("gamma and beta lengths differ");
        }
        this.gamma = gamma;
        this.beta = beta;
        this.eps = eps;
    }

    /** Loads {@code prefix.weight} and {@code prefix.bias}; a missing bias is zero, with a warning. */
    static LayerNorm1P load(Checkpoint checkpoint, String prefix, int hidden, float eps) {
        Parameters p = parameters(checkpoint, prefix, hidden);
        return new LayerNorm1P(p.gamma(), p.beta(), eps);
    }

    /**
     * A LayerNorm1P's parameters as every backend uses them: {@code gamma = 1 + w} rounded to the
     * stored dtype (as Hugging Face adds the 1 in the weight's dtype) and {@code beta}, both fp32.
     */
    public record Parameters(float[] gamma, float[] beta) {
    }

    /** {@code prefix.weight} and {@code prefix.bias} of {@code checkpoint}; a missing bias is zero, with a warning. */
    public static Parameters parameters(Checkpoint checkpoint, String prefix, int hidden) {
        TensorView w = checkpoint.tensor(prefix + ".weight");
        requireVector(checkpoint, w, hidden);
        float[] gamma = w.toFloatArray();
        for (int i = 0; i < hidden; i++) {
            gamma[i] = w.dtype().round(1.0f + gamma[i]);
        }
        Optional<TensorView> b = checkpoint.findTensor(prefix + ".bias");
        float[] beta;
        if (b.isPresent()) {
            requireVector(checkpoint, b.get(), hidden);
            beta = b.get().toFloatArray();
        } else {
            LOG.log(Level.WARNING, "{0}: no tensor {1}.bias; using a zero bias", checkpoint.directory(), prefix);
            beta = new float[hidden];
        }
        return new Parameters(gamma, beta);
    }

    private static void requireVector(Checkpoint checkpoint, TensorView t, int hidden) {
        if (t.rank() != 1 || t.dim(0) != hidden) {
            throw new CheckpointException(checkpoint.directory(), t + " should have shape [" + hidden + "]");
        }
    }

    /** Normalises each of the n rows of x ({@code [n, hidden]}) into a new array. */
    float[] apply(float[] x, int n) {
        int hidden = gamma.length;
        float[] out = new float[n * hidden];
        for (int t = 0; t < n; t++) {
            int off = t * hidden;
            float sum = 0;
            for (int i = 0; i < hidden; i++) {
                sum += x[off + i];
            }
            float mean = sum / hidden;
            float sq = 0;
            for (int i = 0; i < hidden; i++) {
                float d = x[off + i] - mean;
                sq += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(sq / hidden + eps));
            for (int i = 0; i < hidden; i++) {
                out[off + i] = (x[off + i] - mean) * inv * gamma[i] + beta[i];
            }
        }
        return out;
    }
}
