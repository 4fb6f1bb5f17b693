package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RecentAnswersTest {

    private static final TopicPartition P0 = new TopicPartition("minitron.prompts", 0);

    @Test
    void remembersAnAnswerForTheWindowOnly() {
        RecentAnswers r = new RecentAnswers(1_000, 10);
        r.add("a", new RecentAnswers.Answer(P0, 5, 1, 10_000));
        assertThat(r.get("a", 10_500)).isEqualTo(new RecentAnswers.Answer(P0, 5, 1, 10_000));
        assertThat(r.get("a", 11_001)).isNull();
        assertThat(r.size()).isZero();
    }

    @Test
    void forgetsTheOldestBeyondItsSize() {
        RecentAnswers r = new RecentAnswers(60_000, 3);
        for (int i = 0; i < 5; i++) {
            r.add("id-" + i, new RecentAnswers.Answer(P0, i, 1, 1_000 + i));
        }
        assertThat(r.size()).isEqualTo(3);
        assertThat(r.get("id-0", 2_000)).isNull();
        assertThat(r.get("id-1", 2_000)).isNull();
        assertThat(r.get("id-4", 2_000).offset()).isEqualTo(4);
    }

    @Test
    void aZeroWindowTurnsTheCheckOff() {
        RecentAnswers r = new RecentAnswers(0, 10);
        r.add("a", new RecentAnswers.Answer(P0, 5, 1, 10_000));
        assertThat(r.get("a", 10_000)).isNull();
    }

    @Test
    void aNewerAnswerReplacesTheOlderAndMovesToTheBack() {
        RecentAnswers r = new RecentAnswers(1_000, 10);
        r.add("a", new RecentAnswers.Answer(P0, 5, 1, 0));
        r.add("b", new RecentAnswers.Answer(P0, 6, 1, 500));
        r.add("a", new RecentAnswers.Answer(P0, 9, 2, 900));
        assertThat(r.get("b", 1_600)).isNull();
        assertThat(r.get("a", 1_600).attempt()).isEqualTo(2);
    }
}
