package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AttentionPlanTest {

    @Test
    void minitronDecodeSplitsTheContextInto512KeyPartitions() {
        AttentionPlan plan = AttentionPlan.of(64, 1, 4096, 48, 8, 128, 16);

        assertThat(plan.decode()).isTrue();
        assertThat(plan.partitionSize()).isEqualTo(512);
        assertThat(plan.maxPartitions()).isEqualTo(8);
        assertThat(plan.grid()).isEqualTo(Dim3.of(64, 8, 8));
        assertThat(plan.reduceGrid()).isEqualTo(Dim3.of(64, 48));
        long rows = 64L * 48 * 8;
        assertThat(plan.partialOutBytes()).isEqualTo(rows * 128 * 4);
        assertThat(plan.partialMaxBytes()).isEqualTo(rows * 4);
        assertThat(plan.partialSumBytes()).isEqualTo(rows * 4);
        assertThat(plan.workspaceBytes()).isEqualTo(rows * 128 * 4 + 2 * rows * 4);
    }

    @Test
    void partialPartitionsRoundUp() {
        assertThat(AttentionPlan.of(1, 1, 4097, 48, 8, 128, 16).maxPartitions()).isEqualTo(9);
        assertThat(AttentionPlan.of(1, 1, 100, 12, 2, 16, 16).maxPartitions()).isEqualTo(1);
        assertThat(AttentionPlan.of(3, 1, 1000, 3, 1, 128, 16, 96).maxPartitions()).isEqualTo(11);
    }

    @Test
    void anyLongerQueryUsesPrefillTilesOf16() {
        AttentionPlan plan = AttentionPlan.of(5, 1000, 4096, 48, 8, 128, 16);

        assertThat(plan.decode()).isFalse();
        assertThat(plan.grid()).isEqualTo(Dim3.of(5, 8, 63));
        assertThat(plan.reduceGrid()).isNull();
        assertThat(plan.workspaceBytes()).isZero();
        assertThat(AttentionPlan.of(2, 2, 4096, 12, 2, 16, 16).grid()).isEqualTo(Dim3.of(2, 2, 1));
        assertThat(AttentionPlan.of(2, 17, 4096, 3, 1, 128, 16).grid()).isEqualTo(Dim3.of(2, 1, 2));
    }

    @Test
    void singleTokenDetection() {
        assertThat(AttentionPlan.allSingleToken(new int[] {0, 1, 2, 3}, 3)).isTrue();
        assertThat(AttentionPlan.allSingleToken(new int[] {0, 1, 3}, 2)).isFalse();
        assertThat(AttentionPlan.allSingleToken(new int[] {0, 1, 1}, 2)).isFalse();
    }

    @Test
    void rejectsShapesTheKernelsCannotRun() {
        assertThatThrownBy(() -> AttentionPlan.of(1, 1, 4096, 48, 8, 12, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AttentionPlan.of(1, 1, 4096, 48, 8, 264, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AttentionPlan.of(1, 1, 4096, 48, 7, 128, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AttentionPlan.of(0, 1, 4096, 48, 8, 128, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AttentionPlan.of(1, 0, 4096, 48, 8, 128, 16)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AttentionPlan.of(1, 1, 4096, 48, 8, 128, 16, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
