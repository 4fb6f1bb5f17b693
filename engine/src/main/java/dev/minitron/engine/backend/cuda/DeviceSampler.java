package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.SampledTokens;
import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.sample.TokenLogprobs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * Samples logits rows on the GPU with {@code sample_rows} (sampling.cu): only token ids and
 * requested logprobs come back. Launch: grid (numRows), block ({@value #BLOCK}), no dynamic shared
 * memory; one block per row. See sampling.cu for the algorithm and {@link SamplingRowsPacker} for
 * the parameter layout.
 *
 * <p>Passes over a row (1 MB at vocab 256000): greedy 1; temperature/min-p 2; top-k (+top-p) 2 when
 * the k-th largest's neighbourhood is small, else up to 8; top-p 3 or 6.
 *
 * <p>The kernel overwrites the penalized tokens' entries of the logits rows with their penalized
 * values (the rows are the step's scratch). Owns its device buffers, grown when a step needs more.
 * Only the engine thread uses it.
 */
public final class DeviceSampler implements AutoCloseable {

    /** Threads per block: SAMPLE_THREADS in sampling.cu. */
    public static final int BLOCK = 1024;
    /** Ints per row of the output: token, chosen logprob bits, 20 ids, 20 logprob bits. */
    public static final int OUT_STRIDE = 42;
    public static final int MAX_LOGPROBS = 20;
    /** SAMPLE_MAX_TILES * SAMPLE_TILE in sampling.cu. */
    public static final int MAX_VOCAB = 512 * 1024;

    private final Kernel kernel;
    private final SamplingRowsPacker packer = new SamplingRowsPacker();
    private DeviceMemory input;      // params + penalty pairs
    private DeviceMemory penaltyRaw; // one float per penalty pair
    private DeviceMemory output;     // [rows, OUT_STRIDE] ints
    private ByteBuffer hostOut = ByteBuffer.allocateDirect(0);

    /**
     * @param sampleKernel {@code sample_rows} of the {@code sampling} module
     * @param vocab        the model's vocabulary (checked against {@link #MAX_VOCAB})
     */
    public DeviceSampler(Kernel sampleKernel, int vocab) {
        checkVocab(vocab);
        this.kernel = sampleKernel;
    }

    /**
     * Samples {@code rows[i]} from logits row i of {@code logitsPtr} (fp32 [rows.length, vocab],
     * contiguous, on the device) after the work already enqueued on {@code stream}; waits for it.
     */
    public SampledTokens sample(CudaStream stream, long logitsPtr, int vocab, SamplingRow[] rows) {
        checkVocab(vocab);
        int n = rows.length;
        if (n == 0) {
            return new SampledTokens(new int[0], new TokenLogprobs[0]);
        }
        ByteBuffer packed = packer.pack(rows, vocab);
        int pairs = packer.penaltyPairs();
        input = ensure(input, packed.remaining());
        penaltyRaw = ensure(penaltyRaw, (long) Math.max(1, pairs) * Float.BYTES);
        long outBytes = (long) n * OUT_STRIDE * Integer.BYTES;
        output = ensure(output, outBytes);
        input.copyFrom(packed, 0);
        awaitUpload(input);
        long paramsPtr = input.ptr();
        long pairsPtr = input.ptr() + SamplingRowsPacker.penaltiesByteOffset(n);
        kernel.launch(stream, Dim3.of(n), Dim3.of(BLOCK), 0,
                logitsPtr, vocab, paramsPtr, pairsPtr, penaltyRaw, output);
        stream.synchronize();
        if (hostOut.capacity() < outBytes) {
            hostOut = ByteBuffer.allocateDirect((int) Math.max(outBytes, 2L * hostOut.capacity()));
        }
        ByteBuffer dst = hostOut.clear().limit((int) outBytes);
        output.copyTo(dst, 0);
        return unpack(dst.rewind().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer(), rows);
    }

    /** Turns the kernel's output rows into tokens and, where asked for, logprobs. */
    static SampledTokens unpack(IntBuffer out, SamplingRow[] rows) {
        int[] tokens = new int[rows.length];
        TokenLogprobs[] logprobs = new TokenLogprobs[rows.length];
        for (int r = 0; r < rows.length; r++) {
            int base = r * OUT_STRIDE;
            tokens[r] = out.get(base);
            Integer want = rows[r].params().logprobs();
            if (want != null) {
                int[] ids = new int[want];
                float[] values = new float[want];
                for (int j = 0; j < want; j++) {
                    ids[j] = out.get(base + 2 + j);
                    values[j] = Float.intBitsToFloat(out.get(base + 2 + MAX_LOGPROBS + j));
                }
                logprobs[r] = new TokenLogprobs(tokens[r], Float.intBitsToFloat(out.get(base + 1)), ids, values);
            }
        }
        return new SampledTokens(tokens, logprobs);
    }

    /**
     * Makes sure a {@link DeviceMemory#copyFrom} has landed before a kernel on a (non-blocking)
     * stream reads it: a synchronous host-to-device copy from pageable memory may return before its
     * DMA completes, while a device-to-host copy returns only when done and runs after it. Four bytes
     * read back cost one round trip. TODO(lead): upload through a pinned buffer, stream-ordered
     * (cuMemcpyHtoDAsync on the sampling stream), and drop this.
     */
    static void awaitUpload(DeviceMemory m) {
        m.copyTo(ByteBuffer.allocateDirect(4), 0);
    }

    private static DeviceMemory ensure(DeviceMemory m, long bytes) {
        if (m != null && m.bytes() >= bytes) {
            return m;
        }
        long size = Math.max(bytes, m == null ? 0 : 2 * m.bytes());
        if (m != null) {
            m.close();
        }
        return DeviceMemory.allocate(size);
    }

    private static void checkVocab(int vocab) {
        if (vocab < 1 || vocab > MAX_VOCAB) {
            throw new IllegalArgumentException("device sampling supports a vocabulary of 1.." + MAX_VOCAB + ", not " + vocab);
        }
    }

    @Override
    public void close() {
        for (DeviceMemory m : new DeviceMemory[] {input, penaltyRaw, output}) {
            if (m != null) {
                m.close();
            }
        }
        input = null;
        penaltyRaw = null;
        output = null;
    }
}
