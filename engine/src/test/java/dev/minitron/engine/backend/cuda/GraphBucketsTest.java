package dev.minitron.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GraphBucketsTest {

    @Test
    void bucketsAreOneTwoFourThenMultiplesOfEightUpToTheLargestBatch() {
        assertThat(new GraphBuckets(256).sizes()).startsWith(1, 2, 4, 8, 16, 24).endsWith(248, 256).hasSize(35);
        assertThat(new GraphBuckets(20).sizes()).containsExactly(1, 2, 4, 8, 16, 20);
        assertThat(new GraphBuckets(1).sizes()).containsExactly(1);
        assertThat(new GraphBuckets(3).sizes()).containsExactly(1, 2, 3);
    }

    @Test
    void aBatchReplaysTheSmallestBucketThatHoldsIt() {
        GraphBuckets b = new GraphBuckets(64);
        assertThat(b.bucketFor(1)).isEqualTo(1);
        assertThat(b.bucketFor(3)).isEqualTo(4);
        assertThat(b.bucketFor(9)).isEqualTo(16);
        assertThat(b.bucketFor(64)).isEqualTo(64);
        assertThat(b.bucketFor(65)).isEqualTo(-1);
    }
}
