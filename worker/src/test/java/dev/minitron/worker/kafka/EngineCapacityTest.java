package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.engine.EngineStats;
import org.junit.jupiter.api.Test;

class EngineCapacityTest {

    private static EngineStats freeBlocks(int free) {
        return new EngineStats(0, 0, 0, 100, free, 0, 0, 0, 0, 0, true, 0, 0, 0, 0);
    }

    @Test
    void blocksCoverThePromptAndTheFirstOutputToken() {
        EngineCapacity c = new EngineCapacity(8, 16);
        assertThat(c.blocksFor(1)).isEqualTo(1);
        assertThat(c.blocksFor(15)).isEqualTo(1);
        assertThat(c.blocksFor(16)).isEqualTo(2);
        assertThat(c.blocksFor(100)).isEqualTo(7);
    }

    @Test
    void admitsWhileTheWaitingPromptsFitInTheFreeBlocks() {
        EngineCapacity c = new EngineCapacity(8, 16);
        assertThat(c.admits(freeBlocks(10), 1, 4, 6)).isTrue();
        assertThat(c.admits(freeBlocks(10), 1, 4, 7)).isFalse();
    }

    @Test
    void theWaitingQueueIsBounded() {
        EngineCapacity c = new EngineCapacity(2, 16);
        assertThat(c.admits(freeBlocks(100), 1, 1, 1)).isTrue();
        assertThat(c.admits(freeBlocks(100), 2, 2, 1)).isFalse();
    }

    @Test
    void oneIsAlwaysAdmittedWhenNothingWaits() {
        EngineCapacity c = new EngineCapacity(2, 16);
        assertThat(c.admits(freeBlocks(0), 0, 0, 500)).isTrue();
    }
}
