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

    private static final int[] A = {1, 2, 3, 4};
    private static final int[] B = {5, 6, 7, 8};

    @Test
    void registeredBlockIsFoundOnlyForTheSameTokensKeyAndParent() {
        BlockPool pool = new BlockPool(4, 4);
        int b = pool.allocate();
        pool.register(b, 42L, 0, A, 0, BlockPool.NONE);
        assertThat(pool.lookup(42L, 0, A, 0, BlockPool.NONE)).isEqualTo(b);
        // Same hash, other tokens: a collision must be a miss, never wrong KV.
        assertThat(pool.lookup(42L, 0, B, 0, BlockPool.NONE)).isEqualTo(BlockPool.NONE);
        assertThat(pool.lookup(42L, 9, A, 0, BlockPool.NONE)).isEqualTo(BlockPool.NONE);   // other extra key
        assertThat(pool.lookup(42L, 0, A, 0, 3)).isEqualTo(BlockPool.NONE);                // other parent
        assertThat(pool.lookup(43L, 0, A, 0, BlockPool.NONE)).isEqualTo(BlockPool.NONE);
        pool.checkConsistency();
    }

    @Test
    void freeCachedBlocksAreEvictedLeastRecentlyUsedFirstAndPlainBlocksBeforeThem() {
        BlockPool pool = new BlockPool(4, 4);
        int c1 = pool.allocate();
        int c2 = pool.allocate();
        int plain = pool.allocate();
        pool.register(c1, 1L, 0, A, 0, BlockPool.NONE);
        pool.register(c2, 2L, 0, B, 0, BlockPool.NONE);
        pool.free(c1);      // oldest cached
        pool.free(c2);
        pool.free(plain);   // uncached: to the head
        assertThat(pool.numFreeBlocks()).isEqualTo(4);
        assertThat(pool.numCachedBlocks()).isEqualTo(2);
        // Touching c1 (a hit) takes it off the free list; freeing it again makes it the newest.
        pool.touch(c1);
        assertThat(pool.numFreeBlocks()).isEqualTo(3);
        assertThat(pool.refCount(c1)).isEqualTo(1);
        pool.free(c1);
        assertThat(pool.allocate()).isEqualTo(plain);
        assertThat(pool.allocate()).isEqualTo(3);            // never used
        assertThat(pool.allocate()).isEqualTo(c2);           // least recently used cached block
        assertThat(pool.isCached(c2)).isFalse();             // evicted: its hash is gone
        assertThat(pool.lookup(2L, 0, B, 0, BlockPool.NONE)).isEqualTo(BlockPool.NONE);
        assertThat(pool.lookup(1L, 0, A, 0, BlockPool.NONE)).isEqualTo(c1);
        pool.checkConsistency();
    }

    @Test
    void childOfAReallocatedParentIsAMiss() {
        BlockPool pool = new BlockPool(2, 4);
        int parent = pool.allocate();
        int child = pool.allocate();
        pool.register(parent, 1L, 0, A, 0, BlockPool.NONE);
        pool.register(child, 2L, 0, B, 0, parent);
        assertThat(pool.lookup(2L, 0, B, 0, parent)).isEqualTo(child);
        pool.free(parent);                                  // the parent is now the older free block
        pool.free(child);
        assertThat(pool.allocate()).isEqualTo(parent);      // evicted and handed out for new KV
        assertThat(pool.isCached(child)).isTrue();
        // Even with the parent re-registered under the same content, the child was computed
        // against the parent's old KV: its generation no longer matches, so it is a miss.
        pool.register(parent, 1L, 0, A, 0, BlockPool.NONE);
        assertThat(pool.lookup(1L, 0, A, 0, BlockPool.NONE)).isEqualTo(parent);
        assertThat(pool.lookup(2L, 0, B, 0, parent)).isEqualTo(BlockPool.NONE);
        pool.checkConsistency();
    }

    @Test
    void duplicateRegistrationKeepsTheNewestAndTheOldBlockItsKv() {
        BlockPool pool = new BlockPool(3, 4);
        int first = pool.allocate();
        int second = pool.allocate();
        pool.register(first, 7L, 0, A, 0, BlockPool.NONE);
        pool.register(second, 7L, 0, A, 0, BlockPool.NONE);
        assertThat(pool.isCached(first)).isFalse();
        assertThat(pool.refCount(first)).isEqualTo(1);
        assertThat(pool.lookup(7L, 0, A, 0, BlockPool.NONE)).isEqualTo(second);
        assertThat(pool.numCachedBlocks()).isEqualTo(1);
        pool.checkConsistency();
    }

    @Test
    void hashMapAgreesWithJavaUtilUnderRandomPutsAndRemoves() {
        BlockHashMap map = new BlockHashMap(64);
        java.util.Map<Long, Integer> expected = new java.util.HashMap<>();
        Random random = new Random(3);
        for (int i = 0; i < 50_000; i++) {
            long key = random.nextInt(200) * 0x1000L;   // clustered keys: long probe runs
            if (random.nextBoolean() && expected.size() < 64) {
                int value = random.nextInt(64);
                Integer old = expected.put(key, value);
                assertThat(map.put(key, value)).isEqualTo(old == null ? BlockHashMap.NONE : old);
            } else {
                Integer v = expected.get(key);
                boolean removed = map.remove(key, v == null ? 0 : v);
                assertThat(removed).isEqualTo(v != null);
                expected.remove(key);
            }
            assertThat(map.size()).isEqualTo(expected.size());
        }
        for (int k = 0; k < 200; k++) {
            Integer v = expected.get(k * 0x1000L);
            assertThat(map.get(k * 0x1000L)).isEqualTo(v == null ? BlockHashMap.NONE : v);
        }
    }

    @Test
    void sharedPrefixTakesTheSameBlocksAndTheLastTokenIsAlwaysComputed() {
        KvCacheManager kv = new KvCacheManager(8, 4);
        int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8};             // exactly two blocks
        BlockTable a = new BlockTable();
        assertThat(kv.allocateWithPrefix(a, prompt, 8, 0, 100)).isZero();
        kv.cacheFullBlocks(a, prompt, 8, 0);                  // the model computed all 8
        BlockTable b = new BlockTable();
        // Only the first block: the second holds the last token, whose logits b needs.
        assertThat(kv.allocateWithPrefix(b, prompt, 8, 0, 100)).isEqualTo(4);
        assertThat(b.get(0)).isEqualTo(a.get(0));
        assertThat(b.get(1)).isNotEqualTo(a.get(1));
        assertThat(kv.pool().refCount(a.get(0))).isEqualTo(2);
        int[] longer = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        BlockTable c = new BlockTable();
        assertThat(kv.allocateWithPrefix(c, longer, 9, 0, 100)).isEqualTo(8);
        BlockTable salted = new BlockTable();
        assertThat(kv.allocateWithPrefix(salted, longer, 9, 77, 100)).as("other extra key").isZero();
        assertThat(kv.prefixCacheHits()).isEqualTo(12);
        assertThat(kv.prefixCacheQueries()).isEqualTo(8 + 8 + 9 + 9);
        kv.free(a);
        kv.free(b);
        kv.free(c);
        kv.free(salted);
        assertThat(kv.numFreeBlocks()).isEqualTo(8);
        kv.pool().checkConsistency();
    }

    @Test
    void admissionCountsFreeHitsAgainstThePoolAndChangesNothingWhenShort() {
        KvCacheManager kv = new KvCacheManager(3, 4);
        int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        BlockTable a = new BlockTable();
        assertThat(kv.allocateWithPrefix(a, prompt, 9, 0, 100)).isZero();
        kv.cacheFullBlocks(a, prompt, 9, 0);
        kv.free(a);                                           // two cached free blocks + one plain
        BlockTable hog = new BlockTable();
        assertThat(kv.allocateSlots(hog, 4)).isTrue();        // takes the plain block
        BlockTable b = new BlockTable();
        // Both hits are free and b needs one more block: 3 > 2 free, so nothing happens.
        assertThat(kv.allocateWithPrefix(b, prompt, 9, 0, 100)).isEqualTo(-1);
        assertThat(b.size()).isZero();
        assertThat(kv.numFreeBlocks()).isEqualTo(2);
        assertThat(kv.pool().numCachedBlocks()).isEqualTo(2);
        kv.free(hog);
        assertThat(kv.allocateWithPrefix(b, prompt, 9, 0, 100)).isEqualTo(8);
        kv.pool().checkConsistency();
    }

    @Test
    void disabledPrefixCachingNeverShares() {
        KvCacheManager kv = new KvCacheManager(8, 4, false);
        int[] prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        BlockTable a = new BlockTable();
        kv.allocateWithPrefix(a, prompt, 9, 0, 100);
        kv.cacheFullBlocks(a, prompt, 9, 0);
        assertThat(kv.allocateWithPrefix(new BlockTable(), prompt, 9, 0, 100)).isZero();
        assertThat(kv.pool().numCachedBlocks()).isZero();
    }
}
