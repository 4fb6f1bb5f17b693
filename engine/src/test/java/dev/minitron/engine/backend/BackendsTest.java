package dev.minitron.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.minitron.engine.backend.cuda.CudaUnavailableException;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackendsTest {

    @TempDir
    Path dir;

    /** On a machine with a GPU these two tests say nothing; the device script runs the GPU tests there. */
    private static void assumeNoGpu() {
        assumeFalse(Boolean.getBoolean("minitron.gpu"), "a GPU is present");
    }

    @Test
    void autoFallsBackToTheCpuWhenCudaIsUnusable() throws Exception {
        assumeNoGpu();
        TinyCheckpoint.write(dir, TinyPreset.TINY, 3);
        try (Backend b = Backends.open("auto", dir, 1)) {
            assertThat(b.name()).isEqualTo("cpu");
        }
    }

    @Test
    void cudaFailsWithOneClearLineInsteadOfCrashing() throws Exception {
        assumeNoGpu();
        TinyCheckpoint.write(dir, TinyPreset.TINY, 3);
        assertThatThrownBy(() -> Backends.open("cuda", dir, 1))
                .isInstanceOf(CudaUnavailableException.class)
                .hasMessageContaining("libcuda.so.1");
    }

    @Test
    void unknownDevicesAreRefused() {
        assertThatThrownBy(() -> Backends.open("tpu", dir, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto, cpu, cuda or simulated");
    }
}
