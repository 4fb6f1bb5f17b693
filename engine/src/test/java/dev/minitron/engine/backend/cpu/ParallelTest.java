package dev.minitron.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceInEveryLoop() {
        try (Parallel parallel = new Parallel(3)) {
            for (int loop = 0; loop < 2000; loop++) {
                int count = 1 + loop % 97;
                AtomicIntegerArray hits = new AtomicIntegerArray(count);
                parallel.forRange(count, 1 + loop % 5, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < count; i++) {
                    assertThat(hits.get(i)).as("loop %d index %d", loop, i).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void aFailingPieceFailsTheLoopAndLeavesThePoolUsable() {
        try (Parallel parallel = new Parallel(2)) {
            assertThatThrownBy(() -> parallel.forRange(100, 1, (from, to) -> {
                if (from == 57) {
                    throw new IllegalStateException("piece 57");
                }
            })).isInstanceOf(IllegalStateException.class).hasMessage("piece 57");
            AtomicIntegerArray hits = new AtomicIntegerArray(100);
            parallel.forRange(100, 1, (from, to) -> hits.incrementAndGet(from));
            for (int i = 0; i < 100; i++) {
                assertThat(hits.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void refusesWorkAfterClose() {
        Parallel parallel = new Parallel(2);
        parallel.close();
        assertThatThrownBy(() -> parallel.forRange(10, 1, (from, to) -> { }))
                .isInstanceOf(IllegalStateException.class);
    }
}
