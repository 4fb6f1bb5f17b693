package dev.minitron.engine.io;

import java.util.Optional;

/** Element types a checkpoint tensor may have, with their safetensors and PyTorch names. */
public enum DType {
    BF16(2, "BF16", "bfloat16"),
    F16(2, "F16", "float16"),
    F32(4, "F32", "float32");

    private final int byteSize;
    private final String safetensorsName;
    private final String torchName;

    DType(int byteSize, String safetensorsName, String torchName) {
        this.byteSize = byteSize;
        this.safetensorsName = safetensorsName;
        this.torchName = torchName;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The {@code dtype} string in a safetensors header: {@code BF16}, {@code F16}, {@code F32}. */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** The {@code torch_dtype} string in config.json: {@code bfloat16}, {@code float16}, {@code float32}. */
    public String torchName() {
        return torchName;
    }

    /** The value of this type nearest to {@code x} (round to nearest even), widened back to float. */
    public float round(float x) {
        return switch (this) {
            case BF16 -> {
                int bits = Float.floatToRawIntBits(x);
                if (Float.isNaN(x)) {
                    yield x;
                }
                yield Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
            }
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(x));
            case F32 -> x;
        };
    }

    public static Optional<DType> fromTorchName(String name) {
        for (DType t : values()) {
            if (t.torchName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    public static Optional<DType> fromSafetensorsName(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
