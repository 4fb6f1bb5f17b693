package dev.minitron.engine.tiny;

import dev.minitron.engine.config.ModelConfig;

/** The shapes a generated checkpoint can have. */
public enum TinyPreset {

    /**
     * A model small enough for unit tests that keeps Minitron's quirks: 12 query heads sharing 2 KV
     * heads (6 per group, as on the 8B), head_dim × heads ≠ hidden, and RoPE on half of each head.
     */
    TINY(new ModelConfig("nemotron", 96, 256, 2, 12, 2, 16, 1024, 512,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16")),

    /**
     * Minitron-8B's attention geometry in miniature, to pin the partial-RoPE pitfall: head_dim 128
     * with rotary on its first 64 dims, and hidden / heads = 256 / 3 = 85, so code that derives the
     * head size from hidden / heads rotates 42 dims instead of 64 exactly as it would on the 8B
     * (4096 / 48 = 85).
     */
    HEAD128(new ModelConfig("nemotron", 256, 512, 2, 3, 1, 128, 512, 512,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16")),

    /** The exact shapes of Minitron-8B-Base (16.5 GB of bf16), for GPU benchmarks. */
    MINITRON_8B(new ModelConfig("nemotron", 4096, 16384, 32, 48, 8, 128, 256000, 4096,
            1e-5, 10000.0, 0.5, 2, 3, false, "bfloat16"));

    private final ModelConfig config;

    TinyPreset(ModelConfig config) {
        this.config = config;
    }

    public ModelConfig config() {
        return config;
    }

    /** The command-line name: {@code tiny}, {@code minitron-8b}. */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public static TinyPreset fromCliName(String name) {
        for (TinyPreset p : values()) {
            if (p.cliName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown preset \"" + name + "\" (expected tiny, head128 or minitron-8b)");
    }
}
