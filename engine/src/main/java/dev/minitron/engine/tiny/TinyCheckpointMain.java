package dev.minitron.engine.tiny;

import dev.minitron.engine.io.DType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * {@code TinyCheckpointMain --out DIR [--preset tiny|head128|minitron-8b] [--seed N] [--format safetensors|bin] [--dtype bf16|f32] [--config-only] [--force]}:
 * writes a random-weight checkpoint, its weights as {@code model.safetensors} (default) or
 * {@code pytorch_model.bin} ({@code --format bin}), stored as bf16 (default) or as f32 holding the same
 * values ({@code --dtype f32}: for float32 reference runs). A non-empty DIR is refused unless {@code --force}.
 * {@code --config-only} writes config.json and the tokenizer files but no weights (for the GPU benchmark,
 * whose 8B weights Hugging Face initialises and saves on the GPU host).
 */
public final class TinyCheckpointMain {

    private static final String USAGE = "usage: TinyCheckpointMain --out DIR [--preset tiny|head128|minitron-8b] [--seed N] [--format safetensors|bin] [--dtype bf16|f32] [--config-only] [--force]";

    private TinyCheckpointMain() {
    }

    public static void main(String[] args) throws IOException {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Runs the command; returns the process exit status (0 ok, 2 bad usage or refused). */
    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Path dir = null;
        TinyPreset preset = TinyPreset.TINY;
        long seed = 0;
        boolean force = false;
        boolean configOnly = false;
        WeightsFormat format = WeightsFormat.SAFETENSORS;
        DType dtype = DType.BF16;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--out" -> dir = Path.of(value(args, ++i));
                    case "--preset" -> preset = TinyPreset.fromCliName(value(args, ++i));
                    case "--seed" -> seed = Long.parseLong(value(args, ++i));
                    case "--format" -> format = WeightsFormat.fromCliName(value(args, ++i));
                    case "--dtype" -> dtype = dtype(value(args, ++i));
                    case "--force" -> force = true;
                    case "--config-only" -> configOnly = true;
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (dir == null) {
                throw new IllegalArgumentException("--out is required");
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (!force && isNonEmptyDirectory(dir)) {
            err.println(dir + " is not empty; pass --force to write into it anyway");
            return 2;
        }
        long start = System.nanoTime();
        if (configOnly) {
            TinyCheckpoint.writeConfig(dir, preset.config(), dtype);
            out.printf("wrote %s config and tokenizer (%s, no weights) to %s%n", preset.cliName(), dtype.torchName(), dir);
            return 0;
        }
        TinyCheckpoint.write(dir, preset.config(), seed, format, dtype);
        out.printf("wrote %s checkpoint (seed %d, %s, %s) to %s in %d ms%n", preset.cliName(), seed, format.fileName(),
                dtype.torchName(), dir,
                (System.nanoTime() - start) / 1_000_000);
        return 0;
    }

    private static DType dtype(String name) {
        return switch (name) {
            case "bf16" -> DType.BF16;
            case "f32" -> DType.F32;
            default -> throw new IllegalArgumentException("unknown dtype \"" + name + "\" (expected bf16 or f32)");
        };
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static boolean isNonEmptyDirectory(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Files.exists(dir);
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isPresent();
        }
    }
}
