package dev.minitron.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.kafka.AttemptJournal.Run;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class AttemptJournalTest {

    @Test
    void encodesRunsRelativeToTheWatermark() {
        var runs = List.of(new Run(100, 103, 1, false), new Run(105, 106, 2, true));
        String text = AttemptJournal.encode(100, runs, 4000);
        assertThat(text).isEqualTo("j2:2s:0+3,2@2!");
        assertThat(AttemptJournal.decode(100, text)).isEqualTo(runs);
    }

    @Test
    void runsBelowTheWatermarkAreDroppedAndAStraddlingRunIsCut() {
        var runs = List.of(new Run(10, 12, 3, false), new Run(14, 20, 2, false));
        String text = AttemptJournal.encode(16, runs, 4000);
        assertThat(AttemptJournal.decode(16, text)).containsExactly(new Run(16, 20, 2, false));
        assertThat(AttemptJournal.encode(30, runs, 4000)).isEmpty();
    }

    @Test
    void roundTripsRandomJournals() {
        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            TreeMap<Long, Integer> attempts = new TreeMap<>();
            java.util.HashSet<Long> done = new java.util.HashSet<>();
            long base = random.nextInt(1_000_000);
            for (int i = 0; i < 50; i++) {
                long o = base + random.nextInt(300);
                attempts.put(o, 1 + random.nextInt(4));
                if (random.nextBoolean()) {
                    done.add(o);
                }
            }
            var runs = AttemptJournal.runsOf(attempts, new java.util.TreeSet<>(done));
            var decoded = AttemptJournal.decode(base, AttemptJournal.encode(base, runs, 100_000));
            for (long o = base; o < base + 300; o++) {
                Run r = AttemptJournal.find(decoded, o);
                if (attempts.containsKey(o)) {
                    assertThat(r).isNotNull();
                    assertThat(r.attempt()).isEqualTo(attempts.get(o));
                    assertThat(r.done()).isEqualTo(done.contains(o));
                } else {
                    assertThat(r).isNull();
                }
            }
        }
    }

    @Test
    void anOverlongJournalIsCoarsenedNeverUnderCounting() {
        TreeMap<Long, Integer> attempts = new TreeMap<>();
        Random random = new Random(3);
        for (long o = 0; o < 20_000; o += 1 + random.nextInt(3)) {
            attempts.put(o, 1 + random.nextInt(5));
        }
        var runs = AttemptJournal.runsOf(attempts, new java.util.TreeSet<>());
        String full = AttemptJournal.encode(0, runs, Integer.MAX_VALUE);
        assertThat(full.length()).isGreaterThan(4000);

        String text = AttemptJournal.encode(0, runs, 4000);
        assertThat(text.length()).isLessThanOrEqualTo(4000);
        var coarse = AttemptJournal.decode(0, text);
        attempts.forEach((o, a) -> assertThat(AttemptJournal.find(coarse, o).attempt())
                .as("offset %d", o).isGreaterThanOrEqualTo(a));
    }

    @Test
    void coarseningMarksAnsweredOnlyWhereAllWereAnswered() {
        var runs = List.of(new Run(0, 1, 1, true), new Run(2, 3, 2, true), new Run(3, 4, 1, false));
        var merged = AttemptJournal.coarsen(runs, 1);
        assertThat(merged).containsExactly(new Run(0, 4, 2, false));
    }

    @Test
    void foreignOrCorruptMetadataReadsAsNothingStarted() {
        assertThat(AttemptJournal.decode(5, null)).isEmpty();
        assertThat(AttemptJournal.decode(5, "")).isEmpty();
        assertThat(AttemptJournal.decode(5, "committed by kafka-consumer-groups")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j2:5:zz@-3")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j2:5:0+0")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j2:5:,")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j2:5:")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j2:5")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j2::0")).isEmpty();
        assertThat(AttemptJournal.decode(5, "j1:0+3!")).isEmpty();   // the unanchored format of earlier versions
    }

    @Test
    void unionKeepsTheHigherAttempt() {
        var earlier = List.of(new Run(10, 20, 2, false));
        var mine = List.of(new Run(12, 13, 3, false), new Run(19, 22, 1, true));
        assertThat(AttemptJournal.union(earlier, mine)).containsExactly(
                new Run(10, 12, 2, false), new Run(12, 13, 3, false), new Run(13, 20, 2, false),
                new Run(20, 22, 1, true));
    }

    @Test
    void aJournalIsIgnoredWhenTheCommittedOffsetWasMovedUnderIt() {
        var runs = List.of(new Run(100, 103, 1, true), new Run(105, 106, 2, false));
        String text = AttemptJournal.encode(100, runs, 4000);
        assertThat(AttemptJournal.decode(100, text)).isEqualTo(runs);
        // kafka-consumer-groups --reset-offsets or MirrorMaker 2 moved the offset and kept the metadata:
        // the "answered" marks would land on other records, which would be skipped unanswered.
        assertThat(AttemptJournal.decode(101, text)).isEmpty();
        assertThat(AttemptJournal.decode(90, text)).isEmpty();

        OffsetTracker t = new OffsetTracker();
        var p = new org.apache.kafka.common.TopicPartition("minitron.prompts", 0);
        t.assigned(p, new org.apache.kafka.clients.consumer.OffsetAndMetadata(97, text));
        assertThat(t.prior(p, 100)).isNull();
        assertThat(t.nextAttempt(p, 100)).isEqualTo(1);
    }
}
