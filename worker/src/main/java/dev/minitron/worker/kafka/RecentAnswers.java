package dev.minitron.worker.kafka;

import java.util.LinkedHashMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Ids this worker answered with a completion lately (the idempotency window): a second prompt
 * record with one of them is not generated again. Records are keyed by id, so every record of an id
 * lands in one partition and one worker's memory suffices — until the partition moves to another
 * worker, which starts with an empty window (a partition that comes back finds its ids still here). Bounded in age ({@code idempotency-window}) and in
 * size ({@code idempotency-max-ids}, oldest forgotten first). Poll thread only.
 */
public final class RecentAnswers {

    /** Where and when an id was answered. */
    public record Answer(TopicPartition partition, long offset, int attempt, long answeredAtMillis) {
    }

    private final long windowMillis;
    private final int maxIds;
    private final LinkedHashMap<String, Answer> answers = new LinkedHashMap<>();   // insertion order = age order

    public RecentAnswers(long windowMillis, int maxIds) {
        this.windowMillis = windowMillis;
        this.maxIds = maxIds;
    }

    public void add(String id, Answer answer) {
        if (windowMillis <= 0 || maxIds <= 0) {
            return;
        }
        answers.remove(id);
        answers.put(id, answer);
        expire(answer.answeredAtMillis());
        while (answers.size() > maxIds) {
            answers.pollFirstEntry();
        }
    }

    /** The answer to this id within the window, or null. */
    public Answer get(String id, long nowMillis) {
        expire(nowMillis);
        return answers.get(id);
    }

    public int size() {
        return answers.size();
    }

    private void expire(long nowMillis) {
        var it = answers.values().iterator();
        while (it.hasNext() && it.next().answeredAtMillis() < nowMillis - windowMillis) {
            it.remove();
        }
    }
}
