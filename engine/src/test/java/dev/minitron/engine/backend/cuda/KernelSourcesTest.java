package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KernelSourcesTest {

    private static final KernelSources.Source SRC = new KernelSources.Source("embedding",
            "#include \"common.cuh\"\n__global__ void k() {}\n", Map.of("common.cuh", "// helpers\n"));

    @Test
    void theCacheKeyNamesModuleAndArchAndChangesWithEverythingThatShapesTheCode() {
        String key = SRC.cacheKey(List.of("-std=c++17"), "sm_90");
        assertThat(key).startsWith("embedding-sm_90-").matches("[a-z_0-9-]+");
        assertThat(SRC.cacheKey(List.of("-std=c++17"), "sm_90")).isEqualTo(key);
        assertThat(SRC.cacheKey(List.of("-std=c++17"), "sm_100")).isNotEqualTo(key);
        assertThat(SRC.cacheKey(List.of("-std=c++20"), "sm_90")).isNotEqualTo(key);
        assertThat(new KernelSources.Source("embedding", SRC.source() + " ", SRC.headers())
                .cacheKey(List.of("-std=c++17"), "sm_90")).isNotEqualTo(key);
        assertThat(new KernelSources.Source("embedding", SRC.source(), Map.of("common.cuh", "// helpers 2\n"))
                .cacheKey(List.of("-std=c++17"), "sm_90")).isNotEqualTo(key);
    }

    @Test
    void nvrtcCompilesForTheCardsOwnArchitecture() {
        assertThat(Nvrtc.options("sm_120")).contains("--gpu-architecture=sm_120", "-std=c++17");
    }
}
