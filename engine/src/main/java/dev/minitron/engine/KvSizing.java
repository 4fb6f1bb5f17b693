package dev.minitron.engine;

import dev.minitron.engine.backend.Backend;

/** How many KV blocks an engine gets: what the budget buys, but never more than can be used. */
final class KvSizing {

    private KvSizing() {
    }

    static int numBlocks(Backend backend, EngineConfig config, int maxModelLen) {
        long perBlock = backend.kvBytesPerBlock(config.blockSize());
        long affordable = config.kvCacheBytes() / perBlock;
        long blocksPerSeq = (maxModelLen + config.blockSize() - 1) / config.blockSize();
        long useful = blocksPerSeq * config.maxNumSeqs();
        long blocks = Math.min(affordable, useful);
        if (blocks < 1) {
            throw new IllegalArgumentException("KV budget of " + config.kvCacheBytes() + " bytes is less than one block ("
                    + perBlock + " bytes)");
        }
        return (int) Math.min(blocks, Integer.MAX_VALUE);
    }
}
