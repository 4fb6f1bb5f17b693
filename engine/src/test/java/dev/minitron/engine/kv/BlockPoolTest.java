package dev.minitron.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockPoolTest {

    @Test
    void freshPoolHandsOutBlocksInOrderUntilEmpty() {
        BlockPool pool = new BlockPool(3, 4);
        assertThat(pool.allocate()).isZero();
        assertThat(pool.allocate()).isEqualTo(1);
        assertThat(pool.allocate()).isEqualTo(2);
        assertThat(pool.allocate()).isEqualTo(-1);
        assertThat(pool.usage()).isEqualTo(1.0);
    }

    @Test
    void freedBlockReturnsOnlyWhenItsLastReferenceGoes() {
        BlockPool pool = new BlockPool(2, 4);
        int b = pool.allocate();
        assertThat(pool.refCount(b)).isEqualTo(1);
        pool.free(b);
        assertThat(pool.numFreeBlocks()).isEqualTo(2);
        assertThatThrownBy(() -> pool.free(b)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void randomAllocateAndFreeKeepsTheCountsExact() {
        BlockPool pool = new BlockPool(64, 4);
        Random random = new Random(7);
        List<Integer> held = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            if (random.nextBoolean()) {
                int b = pool.allocate();
                if (b >= 0) {
                    assertThat(held).doesNotContain(b);
                    held.add(b);
                }
            } else if (!held.isEmpty()) {
                pool.free(held.remove(random.nextInt(held.size())));
            }
            assertThat(pool.numFreeBlocks()).isEqualTo(64 - held.size());
        }
    }

    @Test
    void managerAllocatesAllOrNothing() {
        KvCacheManager kv = new KvCacheManager(4, 16);
        BlockTable a = new BlockTable();
        assertThat(kv.allocateSlots(a, 40)).isTrue();       // 3 blocks
        assertThat(a.size()).isEqualTo(3);
        BlockTable b = new BlockTable();
        assertThat(kv.allocateSlots(b, 17)).isFalse();       // needs 2, 1 left
        assertThat(b.size()).isZero();
        assertThat(kv.numFreeBlocks()).isEqualTo(1);
        assertThat(kv.slot(a, 33)).isEqualTo(a.get(2) * 16 + 1);
        kv.free(a);
        assertThat(kv.numFreeBlocks()).isEqualTo(4);
    }
}
