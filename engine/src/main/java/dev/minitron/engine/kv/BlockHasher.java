package dev.minitron.engine.kv;

/**
 * The prefix cache's chained block hash: {@code hash(parentHash, extraKey, tokens of the block)}, so
 * a block's hash names its whole prefix, as in vLLM's {@code hash_block_tokens}. 64 bits of a
 * multiply-xorshift mix, not cryptographic: {@link BlockPool#lookup} verifies every hit, so a
 * collision can only cost a miss.
 *
 * <p>{@code extraKey} is the hook for whatever else changes a block's KV besides its tokens
 * (a LoRA adapter, multimodal inputs, a cache salt); 0 means none.
 */
public final class BlockHasher {

    /** The parent hash of a sequence's first block. */
    public static final long ROOT = 0x6A09E667F3BCC909L;

    private BlockHasher() {
    }

    public static long hash(long parentHash, long extraKey, int[] tokens, int from, int length) {
        long h = mix(parentHash ^ mix(extraKey + 0x9E3779B97F4A7C15L));
        for (int i = from; i < from + length; i++) {
            h = mix(h + (tokens[i] & 0xFFFFFFFFL) * 0xC2B2AE3D27D4EB4FL);
        }
        return mix(h ^ length);
    }

    /** The finaliser of MurmurHash3 (fmix64): every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }
}
