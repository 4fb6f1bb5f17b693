package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvSizingTest {

    private static final long GIB = 1L << 30;

    @Test
    void minitron8bTakes131072BytesOfKvPerToken() {
        // 32 layers, 8 KV heads, head_dim 128, bf16 (model-spec.md, "Physical limits").
        long perToken = KvSizing.kvBytesPerToken(32, 8, 128, 2);
        assertThat(perToken).isEqualTo(131_072);
        assertThat(perToken * 16).as("one block of 16 tokens").isEqualTo(2 * GIB / 1024);
    }

    @Test
    void deviceBudgetIsTheEnginesShareMinusWeightsAndActivationPeak() {
        // An 80 GiB H100 at 0.9: 72 GiB usable, 15 GiB of weights, 2 GiB of activations → 55 GiB of KV.
        long kv = KvSizing.deviceKvBytes(80 * GIB, 0.9, 15 * GIB, 2 * GIB);
        assertThat(kv).isEqualTo(55 * GIB);
        long perBlock = KvSizing.kvBytesPerToken(32, 8, 128, 2) * 16;
        int blocks = KvSizing.numBlocks(kv, perBlock, 16, 256, 4096);
        assertThat(blocks).isEqualTo(28_160);                 // 55 GiB / 2 MiB
        assertThat((long) blocks * 16).isEqualTo(450_560);    // tokens of context in the pool
    }

    @Test
    void poolIsCappedAtWhatMaxNumSeqsFullSequencesCanUse() {
        assertThat(KvSizing.numBlocks(1L << 40, 1024, 16, 4, 100)).isEqualTo(4 * 7);
    }

    @Test
    void noRoomLeftIsAClearError() {
        assertThatThrownBy(() -> KvSizing.deviceKvBytes(16 * GIB, 0.9, 15 * GIB, GIB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no memory left for the KV cache")
                .hasMessageContaining("gpuMemoryUtilization");
        assertThatThrownBy(() -> KvSizing.numBlocks(1000, 2048, 16, 4, 100))
                .hasMessageContaining("less than one block");
    }
}
