package dev.minitron.engine.structured;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The tokens a constrained row may sample next. Kept in the shape that is cheapest to apply: a
 * sorted id list when few tokens are allowed (the sampler then looks at those logits only, never at
 * the whole row), a packed bitmask (bit {@code id % 64} of word {@code id / 64}, the layout the GPU
 * sampler uploads) when many are. Immutable.
 */
public final class TokenMask {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final FloatVector NEG_INF = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    /** Up to this fraction of the vocabulary the mask is a list of ids. */
    private static final int SPARSE_DIVISOR = 16;

    private final int vocabSize;
    private final int count;
    private final int[] ids;     // sparse form, or null
    private final long[] bits;   // dense form, or null

    private TokenMask(int vocabSize, int count, int[] ids, long[] bits) {
        this.vocabSize = vocabSize;
        this.count = count;
        this.ids = ids;
        this.bits = bits;
    }

    static TokenMask of(long[] bits, int count, int vocabSize) {
        if (count > vocabSize / SPARSE_DIVISOR) {
            return new TokenMask(vocabSize, count, null, bits);
        }
        int[] ids = new int[count];
        int n = 0;
        for (int w = 0; w < bits.length; w++) {
            long word = bits[w];
            while (word != 0) {
                ids[n++] = (w << 6) + Long.numberOfTrailingZeros(word);
                word &= word - 1;
            }
        }
        return new TokenMask(vocabSize, count, ids, null);
    }

    /** How many tokens are allowed. */
    public int count() {
        return count;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public boolean allows(int id) {
        if (id < 0 || id >= vocabSize) {
            return false;
        }
        return ids != null ? Arrays.binarySearch(ids, id) >= 0 : (bits[id >>> 6] & (1L << id)) != 0;
    }

    /** Memory this mask holds (its id list or its bit words). */
    long heapBytes() {
        return ids != null ? 4L * ids.length : 8L * bits.length;
    }

    /** Whether the mask is a short id list; the sampler then gathers only those logits. */
    public boolean isSparse() {
        return ids != null;
    }

    /** The allowed ids in ascending order (sparse masks only; not to be modified). */
    public int[] ids() {
        if (ids == null) {
            throw new IllegalStateException("a dense mask has no id list");
        }
        return ids;
    }

    /** Sets every disallowed logit to −∞ (dense masks: a pass over the words, skipping full ones). */
    public void applyTo(float[] logits) {
        if (ids != null) {
            float[] kept = new float[ids.length];
            for (int i = 0; i < ids.length; i++) {
                kept[i] = logits[ids[i]];
            }
            Arrays.fill(logits, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < ids.length; i++) {
                logits[ids[i]] = kept[i];
            }
            return;
        }
        int n = Math.min(logits.length, vocabSize);
        int lanes = SPECIES.length();   // a power of two ≤ 64, so a lane group never straddles two words
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            long word = bits[i >>> 6];
            if (word == -1L) {
                i += 64 - lanes - (i & 63);   // the whole word is allowed: skip to the next one
                continue;
            }
            VectorMask<Float> allowed = VectorMask.fromLong(SPECIES, word >>> (i & 63));
            FloatVector.fromArray(SPECIES, logits, i).blend(NEG_INF, allowed.not()).intoArray(logits, i);
        }
        for (; i < n; i++) {
            if ((bits[i >>> 6] & (1L << i)) == 0) {
                logits[i] = Float.NEGATIVE_INFINITY;
            }
        }
        Arrays.fill(logits, n, logits.length, Float.NEGATIVE_INFINITY);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenMask m && vocabSize == m.vocabSize && count == m.count
                && Arrays.equals(ids, m.ids) && Arrays.equals(bits, m.bits);
    }

    @Override
    public int hashCode() {
        return 31 * count + (ids != null ? Arrays.hashCode(ids) : Arrays.hashCode(bits));
    }

    /**
     * The mask as packed 32-bit words, bit {@code id % 32} of word {@code id / 32} (xgrammar's and
     * the CUDA kernel's layout), into {@code out} from {@code offset}.
     */
    public void packInto(int[] out, int offset) {
        int words = (vocabSize + 31) >>> 5;
        Arrays.fill(out, offset, offset + words, 0);
        if (ids != null) {
            for (int id : ids) {
                out[offset + (id >>> 5)] |= 1 << id;
            }
            return;
        }
        for (int w = 0; w < words; w++) {
            long word = bits[w >>> 1];
            out[offset + w] = (int) ((w & 1) == 0 ? word : word >>> 32);
        }
    }
}
