package dev.minitron.engine.backend.cpu;

import dev.minitron.engine.io.DType;

/**
 * Partial rotary embedding, rotate-half (NeoX) style, on the first {@code rotaryDim} dims of each
 * head: pairs {@code (j, j + rotaryDim/2)}, {@code inv_freq[i] = theta^(−2i/rotaryDim)}. Angles
 * and cos/sin are fp32, then rounded to the activation dtype as Hugging Face does.
 */
public final class Rope {

    private final int rotaryDim;
    private final float[] invFreq; // [rotaryDim / 2]
    private final DType dtype;

    public Rope(int rotaryDim, double theta, DType dtype) {
        this.rotaryDim = rotaryDim;
        this.dtype = dtype;
        this.invFreq = new float[rotaryDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            float exponent = (float) (2 * i) / rotaryDim;
            invFreq[i] = 1.0f / (float) Math.pow(theta, exponent);
        }
    }

    /** cos and sin of every token's angles, {@code [n, rotaryDim / 2]} each. */
    public record Angles(float[] cos, float[] sin) {
    }

    public Angles angles(int[] positions) {
        int half = invFreq.length;
        float[] cos = new float[positions.length * half];
        float[] sin = new float[positions.length * half];
        for (int t = 0; t < positions.length; t++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) positions[t] * invFreq[i];
                cos[t * half + i] = dtype.round((float) Math.cos(angle));
                sin[t * half + i] = dtype.round((float) Math.sin(angle));
            }
        }
        return new Angles(cos, sin);
    }

    /** Rotates, in place, every head of x ({@code [n, heads, headDim]}). */
    void apply(float[] x, int n, int heads, int headDim, Angles angles) {
        float[] cos = angles.cos();
        float[] sin = angles.sin();
        int half = rotaryDim / 2;
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int j = 0; j < half; j++) {
                    float c = cos[t * half + j];
                    float s = sin[t * half + j];
                    float a = x[base + j];
                    float b = x[base + j + half];
                    x[base + j] = a * c - b * s;
                    x[base + j + half] = b * c + a * s;
                }
            }
        }
    }
}
