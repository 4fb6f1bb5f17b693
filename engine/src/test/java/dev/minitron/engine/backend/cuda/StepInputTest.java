package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.minitron.engine.backend.ForwardBatch;
import dev.minitron.engine.backend.cpu.BatchBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class StepInputTest {

    private static final int VOCAB = 100;
    private static final int BLOCKS = 8;
    private static final int BLOCK = 4;
    private static final int MBPS = 4;

    @Test
    void decodeStepsAreGraphEligibleAndPaddedRowsWriteNothing() {
        ForwardBatch b = new BatchBuilder(BLOCK).add(new int[] {2}, 3, new int[] {7}, false)
                .add(new int[] {5, 6}, 4, new int[] {9}, false).build();
        StepInput in = StepInput.of(b, VOCAB, BLOCKS, BLOCK, MBPS, 16);
        assertThat(in.isPureDecode()).isTrue();
        MetaLayout l = MetaLayout.of(4, 4, 4, MBPS);
        ByteBuffer buf = ByteBuffer.allocate(l.totalInts() * 4).order(ByteOrder.LITTLE_ENDIAN);
        in.write(buf, l, 4, 4, 4);
        assertThat(ints(buf, l.tokenIds(), 4)).containsExactly(7, 9, -1, -1);
        assertThat(ints(buf, l.slotMapping(), 4)).containsExactly(2 * BLOCK + 3, 6 * BLOCK, -1, -1);
        assertThat(ints(buf, l.queryStartLoc(), 5)).containsExactly(0, 1, 2, 3, 4);
        assertThat(ints(buf, l.seqLens(), 4)).containsExactly(4, 5, 0, 0);
        assertThat(ints(buf, l.blockTables() + MBPS, 2)).containsExactly(5, 6);
        assertThat(ints(buf, l.logitsIndices(), 4)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void prefillIsNotGraphEligible() {
        ForwardBatch b = new BatchBuilder(BLOCK).add(new int[] {0, 1}, 0, new int[] {1, 2, 3, 4, 5}, false).build();
        StepInput in = StepInput.of(b, VOCAB, BLOCKS, BLOCK, MBPS, 16);
        assertThat(in.isPureDecode()).isFalse();
        assertThat(in.maxQueryLen()).isEqualTo(5);
    }

    @Test
    void indicesThatWouldCorruptDeviceMemoryAreRefusedOnTheHost() {
        assertThatThrownBy(() -> StepInput.of(new BatchBuilder(BLOCK).add(new int[] {BLOCKS}, 0, new int[] {1}, false).build(),
                VOCAB, BLOCKS, BLOCK, MBPS, 16)).hasMessageContaining("slot");
        assertThatThrownBy(() -> StepInput.of(new BatchBuilder(BLOCK).add(new int[] {0}, 0, new int[] {VOCAB}, false).build(),
                VOCAB, BLOCKS, BLOCK, MBPS, 16)).hasMessageContaining("token id");
        assertThatThrownBy(() -> StepInput.of(new BatchBuilder(BLOCK).add(new int[] {0, 1, 2, 3, 4}, 16, new int[] {1}, false).build(),
                VOCAB, BLOCKS, BLOCK, MBPS, 32)).hasMessageContaining("blocks");
        assertThatThrownBy(() -> StepInput.of(new BatchBuilder(BLOCK).add(new int[] {0, 1}, 4, new int[] {1}, false).build(),
                VOCAB, BLOCKS, BLOCK, MBPS, 4)).hasMessageContaining("position");
    }

    @Test
    void aDecodeBucketAlwaysGetsTheSameOffsets() {
        assertThat(MetaLayout.of(8, 8, 8, 256)).isEqualTo(MetaLayout.of(8, 8, 8, 256));
        MetaLayout l = MetaLayout.of(5, 2, 2, 3);
        assertThat(l.positions() % 4).isZero();
        assertThat(l.blockTables() % 4).isZero();
        assertThat(l.totalInts()).isGreaterThanOrEqualTo(l.blockTables() + 2 * 3);
    }

    private static int[] ints(ByteBuffer b, int at, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = b.getInt(4 * (at + i));
        }
        return out;
    }
}
