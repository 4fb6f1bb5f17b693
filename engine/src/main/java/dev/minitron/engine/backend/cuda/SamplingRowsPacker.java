package dev.minitron.engine.backend.cuda;

import dev.minitron.engine.backend.SamplingRow;
import dev.minitron.engine.sample.SamplingParams;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Packs one step's {@link SamplingRow}s for {@code sample_rows} (sampling.cu): the per-row
 * {@code SampleRowParams} structs, then the penalty pairs. Little-endian, one upload.
 *
 * <p>{@code SampleRowParams}, {@value #PARAM_BYTES} bytes (static_assert'ed in sampling.cu):
 * <pre>
 *  0 double uniform            8 double topP             16 double minP
 * 24 double presencePenalty   32 double frequencyPenalty
 * 40 float  temperature       44 float  repetitionPenalty
 * 48 int    topK (0 = off)    52 int    flags (1 greedy, 2 repetition, 4 presence/frequency)
 * 56 int    numLogprobs (-1 = none)   60 int penaltyOffset (pairs)   64 int penaltyCount   68 int 0
 * </pre>
 * Penalty pairs are {@code int {token, outputCount}}: each distinct token of the row's history in
 * [0, vocab), ascending, with its number of occurrences in the output (tokens only in the prompt
 * are listed only when the repetition penalty applies). Rows without penalties have none.
 */
public final class SamplingRowsPacker {

    public static final int PARAM_BYTES = 72;
    public static final int FLAG_GREEDY = 1;
    public static final int FLAG_REPETITION = 2;
    public static final int FLAG_PRESENCE_FREQUENCY = 4;

    private ByteBuffer buffer = ByteBuffer.allocate(0);
    private int[] pairs = new int[0];
    private int pairCount;
    private int[] scratch = new int[0];

    /** The packed bytes of the last {@link #pack}: params, then pairs at {@link #penaltiesByteOffset}. */
    public ByteBuffer buffer() {
        return buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Number of penalty pairs packed by the last {@link #pack}. */
    public int penaltyPairs() {
        return pairCount;
    }

    /** Where the pairs start in {@link #buffer()}: right after the params (8-aligned). */
    public static long penaltiesByteOffset(int numRows) {
        return (long) numRows * PARAM_BYTES;
    }

    /** Packs {@code rows}; the result is {@link #buffer()} (position 0, limit = packed bytes). */
    public ByteBuffer pack(SamplingRow[] rows, int vocab) {
        pairCount = 0;
        int[] offsets = new int[rows.length];
        int[] counts = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            offsets[r] = pairCount;
            if (rows[r].params().hasPenalties()) {
                addPenaltyPairs(rows[r], vocab);
            }
            counts[r] = pairCount - offsets[r];
        }
        int bytes = rows.length * PARAM_BYTES + pairCount * 2 * Integer.BYTES;
        if (buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(Math.max(bytes, 2 * buffer.capacity()));
        }
        ByteBuffer b = buffer.clear().order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows.length; r++) {
            putParams(b, rows[r], vocab, offsets[r], counts[r]);
        }
        for (int i = 0; i < 2 * pairCount; i++) {
            b.putInt(pairs[i]);
        }
        b.flip();
        return b;
    }

    private static void putParams(ByteBuffer b, SamplingRow row, int vocab, int offset, int count) {
        SamplingParams p = row.params();
        int flags = 0;
        if (p.isGreedy()) {
            flags |= FLAG_GREEDY;
        }
        if (count > 0 && p.repetitionPenalty() != 1) {
            flags |= FLAG_REPETITION;
        }
        if (count > 0 && (p.presencePenalty() != 0 || p.frequencyPenalty() != 0)) {
            flags |= FLAG_PRESENCE_FREQUENCY;
        }
        int start = b.position();
        b.putDouble(row.uniform());
        b.putDouble(p.topP());
        b.putDouble(p.minP());
        b.putDouble(p.presencePenalty());
        b.putDouble(p.frequencyPenalty());
        b.putFloat((float) p.temperature());
        b.putFloat((float) p.repetitionPenalty());
        b.putInt(p.topK() > 0 && p.topK() < vocab ? p.topK() : 0);
        b.putInt(flags);
        b.putInt(p.logprobs() == null ? -1 : p.logprobs());
        b.putInt(offset);
        b.putInt(count);
        b.putInt(0);
        assert b.position() - start == PARAM_BYTES;
    }

    /**
     * The row's distinct history tokens with their output counts, as Penalties computes them:
     * sorted copies of (token << 1 | isOutput), then one run per token.
     */
    private void addPenaltyPairs(SamplingRow row, int vocab) {
        SamplingParams p = row.params();
        boolean repetition = p.repetitionPenalty() != 1;
        int length = row.historyLength();
        if (scratch.length < length) {
            scratch = new int[Math.max(length, 2 * scratch.length)];
        }
        int n = 0;
        for (int i = 0; i < length; i++) {
            int t = row.history()[i];
            if (t >= 0 && t < vocab) {
                scratch[n++] = (t << 1) | (i >= row.numPromptTokens() ? 1 : 0);
            }
        }
        Arrays.sort(scratch, 0, n);
        for (int i = 0; i < n; ) {
            int token = scratch[i] >>> 1;
            int outputs = 0;
            while (i < n && scratch[i] >>> 1 == token) {
                outputs += scratch[i] & 1;
                i++;
            }
            if (repetition || outputs > 0) {
                if (pairs.length < 2 * (pairCount + 1)) {
                    pairs = Arrays.copyOf(pairs, Math.max(16, 2 * pairs.length));
                }
                pairs[2 * pairCount] = token;
                pairs[2 * pairCount + 1] = outputs;
                pairCount++;
            }
        }
    }

    /** The pairs of the last {@link #pack} ({@code 2 * penaltyPairs()} ints: token, outputCount). */
    int[] pairs() {
        return Arrays.copyOf(pairs, 2 * pairCount);
    }
}
