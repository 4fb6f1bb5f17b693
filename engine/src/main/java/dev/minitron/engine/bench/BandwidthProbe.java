package dev.minitron.engine.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory-bandwidth roofline of this machine, measured the way decode reads weights: all threads
 * stream disjoint slices of one large off-heap buffer with Vector API loads and sum them (so the
 * reads cannot be optimised away). Batch-1 decode cannot beat {@code bandwidth / bytes per token}.
 */
final class BandwidthProbe {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private BandwidthProbe() {
    }

    /** Best read bandwidth in bytes/s over {@code repeats} passes of a {@code bytes}-byte buffer. */
    static double readBytesPerSecond(int threads, long bytes, int repeats) throws Exception {
        long slice = (bytes / threads) & ~255L;
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment buffer = arena.allocate(slice * threads, 64);
            buffer.fill((byte) 1);
            double best = 0;
            double sink = 0;
            for (int rep = 0; rep < repeats; rep++) {
                long t0 = System.nanoTime();
                List<Future<Float>> parts = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    long from = i * slice;
                    parts.add(pool.submit(() -> sum(buffer, from, from + slice)));
                }
                for (Future<Float> part : parts) {
                    sink += part.get();
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, slice * threads / seconds);
            }
            if (sink == 42) {
                System.out.print(""); // keeps the sums alive
            }
            return best;
        }
    }

    private static float sum(MemorySegment m, long from, long to) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long step = F.vectorByteSize();
        long off = from;
        for (; off + 4 * step <= to; off += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, m, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(F, m, off + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(F, m, off + 2 * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(F, m, off + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
