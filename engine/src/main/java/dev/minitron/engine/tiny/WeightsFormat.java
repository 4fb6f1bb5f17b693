package dev.minitron.engine.tiny;

import dev.minitron.engine.io.Checkpoint;

/** Which weights file a generated checkpoint gets: the two a Hugging Face user actually downloads. */
public enum WeightsFormat {
    /** {@code model.safetensors}. */
    SAFETENSORS("safetensors", Checkpoint.SINGLE_FILE),
    /** {@code pytorch_model.bin} in torch.save's ZIP layout, as on nvidia/Minitron-8B-Base main. */
    PYTORCH_BIN("bin", Checkpoint.PYTORCH_FILE);

    private final String cliName;
    private final String fileName;

    WeightsFormat(String cliName, String fileName) {
        this.cliName = cliName;
        this.fileName = fileName;
    }

    public String cliName() {
        return cliName;
    }

    public String fileName() {
        return fileName;
    }

    public static WeightsFormat fromCliName(String name) {
        for (WeightsFormat f : values()) {
            if (f.cliName.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown format \"" + name + "\" (expected safetensors or bin)");
    }
}
