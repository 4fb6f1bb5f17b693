package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.cpu.LayerNorm1P;
import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.io.Checkpoint;
import dev.minitron.engine.io.CheckpointException;
import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.TensorView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The model's weights on the device, uploaded once from the (memory-mapped) checkpoint in the
 * model's dtype. q/k/v are fused into one [q+2kv, hidden] matrix so attention's input projection
 * is one GEMM. LayerNorm parameters are fp32 with the 1 of LayerNorm1P already added (in the
 * weight's dtype, as Hugging Face does).
 */
final class DeviceWeights implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DeviceWeights.class.getName());
    private static final long CHUNK = 64L << 20;

    record Norm(DeviceMemory gamma, DeviceMemory beta) {
    }

    record Layer(Norm inputNorm, DeviceMemory qkv, DeviceMemory o, Norm postNorm, DeviceMemory up, DeviceMemory down) {
    }

    final DType dtype;
    final DeviceMemory embed;
    final List<Layer> layers;
    final Norm finalNorm;
    final DeviceMemory lmHead; // may be the same allocation as embed (tied)
    private final List<DeviceMemory> owned = new ArrayList<>();
    private long bytes;

    private DeviceWeights(Checkpoint ckpt) {
        ModelConfig c = ckpt.config();
        int hidden = c.hiddenSize();
        TensorView embedView = ckpt.tensor("model.embed_tokens.weight");
        this.dtype = embedView.dtype();
        try {
            this.embed = matrix(ckpt, "model.embed_tokens.weight", c.vocabSize(), hidden);
            List<Layer> ls = new ArrayList<>();
            for (int i = 0; i < c.numHiddenLayers(); i++) {
                String p = "model.layers." + i + ".";
                DeviceMemory qkv = track(DeviceMemory.allocate((long) (c.qSize() + 2 * c.kvSize()) * hidden * dtype.byteSize()));
                long off = upload(ckpt, p + "self_attn.q_proj.weight", c.qSize(), hidden, qkv, 0);
                off = upload(ckpt, p + "self_attn.k_proj.weight", c.kvSize(), hidden, qkv, off);
                upload(ckpt, p + "self_attn.v_proj.weight", c.kvSize(), hidden, qkv, off);
                ls.add(new Layer(
                        norm(ckpt, p + "input_layernorm", hidden),
                        qkv,
                        matrix(ckpt, p + "self_attn.o_proj.weight", hidden, c.qSize()),
                        norm(ckpt, p + "post_attention_layernorm", hidden),
                        matrix(ckpt, p + "mlp.up_proj.weight", c.intermediateSize(), hidden),
                        matrix(ckpt, p + "mlp.down_proj.weight", hidden, c.intermediateSize())));
            }
            this.layers = List.copyOf(ls);
            this.finalNorm = norm(ckpt, "model.norm", hidden);
            boolean tied = ckpt.findTensor("lm_head.weight").isEmpty();
            if (tied && !c.tieWordEmbeddings()) {
                throw new CheckpointException(ckpt.directory(), "no tensor lm_head.weight and tie_word_embeddings is false");
            }
            this.lmHead = tied ? embed : matrix(ckpt, "lm_head.weight", c.vocabSize(), hidden);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static DeviceWeights upload(Checkpoint ckpt) {
        return new DeviceWeights(ckpt);
    }

    long bytes() {
        return bytes;
    }

    private DeviceMemory track(DeviceMemory m) {
        owned.add(m);
        bytes += m.bytes();
        return m;
    }

    private DeviceMemory matrix(Checkpoint ckpt, String name, int rows, int cols) {
        DeviceMemory m = track(DeviceMemory.allocate((long) rows * cols * dtype.byteSize()));
        upload(ckpt, name, rows, cols, m, 0);
        return m;
    }

    /** Copies tensor {@code name} ([rows, cols]) into {@code dst} at byte {@code offset}; returns the end offset. */
    private long upload(Checkpoint ckpt, String name, int rows, int cols, DeviceMemory dst, long offset) {
        TensorView t = ckpt.tensor(name);
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new CheckpointException(ckpt.directory(), "tensor \"" + name + "\" has shape " + Arrays.toString(t.shape())
                    + " but config.json implies [" + rows + ", " + cols + "]");
        }
        long n = (long) rows * cols;
        long outBytes = n * dtype.byteSize();
        if (t.dtype() == dtype) {
            copySegment(t.data(), dst.ptr() + offset, outBytes);
        } else {
            LOG.log(System.Logger.Level.WARNING, "{0} is {1} but the model runs in {2}; converting on upload", name, t.dtype(), dtype);
            convertAndCopy(t, dst.ptr() + offset, n);
        }
        return offset + outBytes;
    }

    private static void copySegment(MemorySegment src, long dst, long bytes) {
        if (src.isNative()) {
            for (long at = 0; at < bytes; at += CHUNK) {
                long len = Math.min(CHUNK, bytes - at);
                Cuda.copyHostAddressToDevice(src.address() + at, dst + at, len);
            }
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(Math.min(CHUNK, bytes), 64);
            for (long at = 0; at < bytes; at += CHUNK) {
                long len = Math.min(CHUNK, bytes - at);
                MemorySegment.copy(src, at, staging, 0, len);
                Cuda.copyHostAddressToDevice(staging.address(), dst + at, len);
            }
        }
    }

    private void convertAndCopy(TensorView t, long dst, long n) {
        int elem = dtype.byteSize();
        long chunkElems = CHUNK / 4;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment staging = arena.allocate(chunkElems * elem, 64);
            for (long at = 0; at < n; at += chunkElems) {
                long len = Math.min(chunkElems, n - at);
                for (long i = 0; i < len; i++) {
                    float v = t.getFloat(at + i);
                    switch (dtype) {
                        case F32 -> staging.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4, v);
                        case F16 -> staging.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Float.floatToFloat16(v));
                        case BF16 -> staging.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, bf16Bits(v));
                    }
                }
                Cuda.copyHostAddressToDevice(staging.address(), dst + at * elem, len * elem);
            }
        }
    }

    /** Round-to-nearest-even fp32 → bf16 bits. */
    static short bf16Bits(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    private Norm norm(Checkpoint ckpt, String prefix, int hidden) {
        LayerNorm1P.Parameters p = LayerNorm1P.parameters(ckpt, prefix, hidden);
        float[] gamma = p.gamma();
        float[] beta = p.beta();
        DeviceMemory g = track(DeviceMemory.allocate((long) hidden * Float.BYTES));
        DeviceMemory be = track(DeviceMemory.allocate((long) hidden * Float.BYTES));
        g.copyFrom(gamma, hidden, 0);
        be.copyFrom(beta, hidden, 0);
        return new Norm(g, be);
    }

    @Override
    public void close() {
        for (DeviceMemory m : owned) {
            m.close();
        }
        owned.clear();
    }
}
