package dev.minitron.engine.tiny;

import dev.minitron.engine.io.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Seeded normal bf16 values, reproducible on any JVM and any thread count: element i of a tensor
 * comes from chunk i / CHUNK, whose generator is seeded from (seed, tensor name, chunk) alone, and
 * the normals use Box–Muller with {@link StrictMath}. They can be stored as bf16 or, widened
 * exactly, as f32: both dtypes then hold the same numbers, so a comparison between them isolates
 * what the compute dtype does.
 */
final class RandomTensors {

    /** Elements per independently seeded chunk. */
    static final int CHUNK = 1 << 16;

    private RandomTensors() {
    }

    /**
     * Fills {@code out} (little-endian bf16, from its position) with chunks
     * {@code [firstChunk, firstChunk + chunks)} of tensor {@code name}: N(0, std²) values, the last
     * chunk cut at {@code numel}. Chunks are generated in parallel.
     */
    static void fill(ByteBuffer out, long seed, String name, long numel, long firstChunk, int chunks, float std) {
        fill(out, DType.BF16, seed, name, numel, firstChunk, chunks, std);
    }

    /** As {@link #fill(ByteBuffer, long, String, long, long, int, float)}, stored as {@code dtype} (BF16 or F32). */
    static void fill(ByteBuffer out, DType dtype, long seed, String name, long numel, long firstChunk, int chunks, float std) {
        if (dtype != DType.BF16 && dtype != DType.F32) {
            throw new IllegalArgumentException("generated weights are bf16 or f32, not " + dtype);
        }
        int width = dtype.byteSize();
        ByteBuffer le = out.slice().order(ByteOrder.LITTLE_ENDIAN);
        long tensorSeed = mix(seed * 0x9E3779B97F4A7C15L + name.hashCode());
        IntStream.range(0, chunks).parallel().forEach(c -> {
            long chunk = firstChunk + c;
            long begin = chunk * CHUNK;
            int count = (int) Math.min(CHUNK, numel - begin);
            SplittableRandom random = new SplittableRandom(mix(tensorSeed + chunk));
            int at = c * CHUNK * width;
            for (int i = 0; i < count; i += 2) {
                double u1 = 1.0 - random.nextDouble(); // (0, 1]
                double u2 = random.nextDouble();
                double radius = StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * std;
                double angle = 2.0 * StrictMath.PI * u2;
                put(le, at + width * i, width, bf16((float) (radius * StrictMath.cos(angle))));
                if (i + 1 < count) {
                    put(le, at + width * (i + 1), width, bf16((float) (radius * StrictMath.sin(angle))));
                }
            }
        });
        long elements = Math.min((long) chunks * CHUNK, numel - firstChunk * CHUNK);
        out.position(out.position() + (int) (elements * width));
    }

    /** bf16 bits as themselves, or as the f32 of exactly the same value (bf16 is f32's upper half). */
    private static void put(ByteBuffer le, int at, int width, short bf16) {
        if (width == 2) {
            le.putShort(at, bf16);
        } else {
            le.putInt(at, (bf16 & 0xFFFF) << 16);
        }
    }

    /** Round to nearest even bf16 bits. */
    static short bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** SplitMix64's finaliser: spreads nearby seeds over all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
