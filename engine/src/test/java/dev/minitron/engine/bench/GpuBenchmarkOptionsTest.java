package dev.minitron.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuBenchmarkOptionsTest {

    @Test
    void oneConcurrencyListAppliesToEveryShapeAndSizesMaxNumSeqs() {
        var o = GpuBenchmarkOptions.parse(new String[] {"--model", "/m", "--concurrency", "1,4"});
        assertThat(o.shapes()).hasSize(2);
        assertThat(o.concurrency()).containsExactly(List.of(1, 4), List.of(1, 4));
        assertThat(o.maxNumSeqs()).isEqualTo(4);
        assertThat(o.prefixCaching()).isFalse();
    }

    @Test
    void perShapeConcurrencyAndASingleShapeFromInOut() {
        var o = GpuBenchmarkOptions.parse(new String[] {"--model", "/m", "--shapes", "128:128,1000:1000",
                "--concurrency", "1,64,256;32,64", "--max-num-batched-tokens", "4096"});
        assertThat(o.concurrency()).containsExactly(List.of(1, 64, 256), List.of(32, 64));
        assertThat(o.maxNumSeqs()).isEqualTo(256);
        assertThat(o.maxNumBatchedTokens()).isEqualTo(4096);
        var single = GpuBenchmarkOptions.parse(new String[] {"--model", "/m", "--in", "16", "--out", "8"});
        assertThat(single.shapes()).singleElement().satisfies(s -> assertThat(s).containsExactly(16, 8));
    }

    @Test
    void rejectsMismatchedListsAndMissingModel() {
        assertThatThrownBy(() -> GpuBenchmarkOptions.parse(new String[] {"--model", "/m", "--concurrency", "1;2;3"}))
                .hasMessageContaining("one per shape");
        assertThatThrownBy(() -> GpuBenchmarkOptions.parse(new String[] {"--in", "4", "--out", "2"}))
                .hasMessageContaining("--model is required");
        assertThatThrownBy(() -> GpuBenchmarkOptions.parse(new String[] {"--model", "/m", "--in", "4"}))
                .hasMessageContaining("--in and --out go together");
    }
}
