package dev.minitron.engine.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Page-locked host memory (cuMemHostAlloc): the staging area for each step's small uploads
 * (token ids, positions, slots, block tables) and downloads (sampled tokens), so copies are
 * asynchronous and one per direction per step.
 */
final class PinnedBuffer implements AutoCloseable {

    private Pointer memory;
    private final long bytes;
    private final ByteBuffer view;

    PinnedBuffer(long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pinned buffers are at most 2 GiB");
        }
        PointerPointer<Pointer> out = new PointerPointer<>(1);
        Cuda.check(cuMemHostAlloc(out, bytes, 0), "cuMemHostAlloc(" + bytes + ")");
        this.memory = out.get(0);
        this.bytes = bytes;
        this.view = new Cuda.RawPointer(memory.address(), bytes).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    long address() {
        return memory.address();
    }

    long bytes() {
        return bytes;
    }

    /** A little-endian view of the whole buffer (absolute get/put only). */
    ByteBuffer view() {
        return view;
    }

    @Override
    public void close() {
        if (memory != null) {
            cuMemFreeHost(memory);
            memory = null;
        }
    }
}
