package dev.minitron.worker.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The status transitions, metering and retention on the real topology, driven record by record. */
class StatusTopologyTest {

    private static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");
    private static final Duration WINDOW = Duration.ofMinutes(1);
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration DONE_RETENTION = Duration.ofHours(1);
    private static final Duration STALE_RETENTION = Duration.ofHours(6);

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> prompts;
    private TestInputTopic<String, byte[]> tokens;
    private TestInputTopic<String, byte[]> completions;
    private TestInputTopic<String, byte[]> errors;
    private TestOutputTopic<String, String> usage;
    private KeyValueStore<String, RequestStatus> statusStore;
    private WindowStore<String, ValueAndTimestamp<TenantUsage>> usageStore;

    @BeforeEach
    void start() {
        TopologySettings settings = new TopologySettings(Topics.PROMPTS, Topics.TOKENS, Topics.COMPLETIONS,
                Topics.ERRORS, StatusTopology.USAGE_TOPIC, false, DONE_RETENTION, STALE_RETENTION,
                Duration.ofMinutes(1), WINDOW, GRACE, Duration.ofDays(1), "default");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "status-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(StatusTopology.build(settings), props, T0);
        prompts = input(Topics.PROMPTS);
        tokens = input(Topics.TOKENS);
        completions = input(Topics.COMPLETIONS);
        errors = input(Topics.ERRORS);
        usage = driver.createOutputTopic(StatusTopology.USAGE_TOPIC, new StringDeserializer(), new StringDeserializer());
        statusStore = driver.getKeyValueStore(StatusTopology.STATUS_STORE);
        usageStore = driver.getTimestampedWindowStore(StatusTopology.USAGE_STORE);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void promptThenTokensThenCompletionIsQueuedRunningDone() {
        prompt("r1", "{\"id\":\"r1\",\"prompt\":\"Hi\",\"tenant\":\"acme\"}", 0);
        RequestStatus queued = statusStore.get("r1");
        assertThat(queued.status()).isEqualTo(RequestState.QUEUED);
        assertThat(queued.tenant()).isEqualTo("acme");
        assertThat(queued.attempts()).isZero();
        assertThat(queued.promptSeen()).isTrue();

        token("r1", 1, 0, 2, 100);
        token("r1", 1, 1, 3, 200);
        RequestStatus running = statusStore.get("r1");
        assertThat(running.status()).isEqualTo(RequestState.RUNNING);
        assertThat(running.attempts()).isEqualTo(1);
        assertThat(running.tokens()).isEqualTo(5);
        assertThat(running.worker()).isNull();

        completion("r1", 1, "length", 7, 6, 300);
        RequestStatus done = statusStore.get("r1");
        assertThat(done.status()).isEqualTo(RequestState.DONE);
        assertThat(done.finishReason()).isEqualTo("length");
        assertThat(done.tokens()).isEqualTo(6);
        assertThat(done.promptTokens()).isEqualTo(7);
        assertThat(done.completionTokens()).isEqualTo(6);
        assertThat(done.worker()).isEqualTo("w-1");
        assertThat(done.model()).isEqualTo("tiny");
        assertThat(done.tenant()).isEqualTo("acme");
        assertThat(done.metered()).isTrue();
        assertThat(done.firstSeenMs()).isEqualTo(T0.toEpochMilli());
        assertThat(done.updatedMs()).isEqualTo(T0.toEpochMilli() + 300);
    }

    @Test
    void anInvalidPromptIsQueuedUntilItsErrorEventArrives() {
        prompt("bad", "{\"id\":\"bad\",\"prompt\":", 0);
        assertThat(statusStore.get("bad").status()).isEqualTo(RequestState.QUEUED);
        assertThat(statusStore.get("bad").tenant()).isNull();

        error("bad", "invalid_json", 50);
        RequestStatus error = statusStore.get("bad");
        assertThat(error.status()).isEqualTo(RequestState.ERROR);
        assertThat(error.errorCode()).isEqualTo("invalid_json");
        assertThat(error.worker()).isEqualTo("w-1");
        assertThat(error.metered()).isFalse();
    }

    @Test
    void aCompletionWithFinishReasonErrorIsAnError() {
        prompt("long", "{\"id\":\"long\",\"prompt\":\"x\"}", 0);
        completions.pipeInput("long", bytes("{\"id\":\"long\",\"attempt\":1,\"text\":\"\",\"finish_reason\":\"error\","
                + "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"cached_tokens\":0},"
                + "\"timing\":{\"queued_ms\":0,\"ttft_ms\":null,\"duration_ms\":1},\"model\":\"tiny\",\"worker\":\"w-1\","
                + "\"error\":{\"code\":\"prompt_too_long\",\"message\":\"too long\"}}"), T0.plusMillis(10));
        RequestStatus s = statusStore.get("long");
        assertThat(s.status()).isEqualTo(RequestState.ERROR);
        assertThat(s.errorCode()).isEqualTo("prompt_too_long");
        assertThat(s.finishReason()).isEqualTo("error");
    }

    @Test
    void aRedeliveryStartsOverWithTheNewAttemptAndIgnoresTheOldOnesLateEvents() {
        prompt("r2", "{\"id\":\"r2\",\"prompt\":\"Hi\",\"tenant\":\"acme\"}", 0);
        token("r2", 1, 0, 4, 10);
        token("r2", 2, 0, 1, 20);          // the prompt was redelivered to another worker
        token("r2", 1, 1, 4, 30);          // the old attempt's last event, late
        RequestStatus s = statusStore.get("r2");
        assertThat(s.status()).isEqualTo(RequestState.RUNNING);
        assertThat(s.attempts()).isEqualTo(2);
        assertThat(s.tokens()).isEqualTo(1);

        completion("r2", 1, "stop", 3, 8, 40);   // stale: attempt 2 is running
        assertThat(statusStore.get("r2").status()).isEqualTo(RequestState.RUNNING);

        token("r2", 2, 1, 2, 50);
        completion("r2", 2, "length", 3, 3, 60);
        s = statusStore.get("r2");
        assertThat(s.status()).isEqualTo(RequestState.DONE);
        assertThat(s.attempts()).isEqualTo(2);
        assertThat(s.tokens()).isEqualTo(3);
    }

    @Test
    void aCompletionThenANewerAttemptRunsAgainButIsMeteredOnce() {
        prompt("r3", "{\"id\":\"r3\",\"prompt\":\"Hi\",\"tenant\":\"acme\"}", 0);
        completion("r3", 1, "length", 5, 4, 10);
        token("r3", 2, 0, 1, 20);
        RequestStatus running = statusStore.get("r3");
        assertThat(running.status()).isEqualTo(RequestState.RUNNING);
        assertThat(running.finishReason()).isNull();
        assertThat(running.metered()).isTrue();
        completion("r3", 2, "length", 5, 4, 30);
        completion("r3", 2, "length", 5, 4, 40);   // a duplicate, e.g. a producer retry

        assertThat(statusStore.get("r3").status()).isEqualTo(RequestState.DONE);
        assertThat(windowSum("acme", 0)).isEqualTo(new TenantUsage(5, 4, 1));
    }

    @Test
    void lateTokensOfAnAnsweredAttemptDoNotReopenIt() {
        prompt("r4", "{\"id\":\"r4\",\"prompt\":\"Hi\"}", 0);
        completion("r4", 1, "stop", 2, 3, 10);
        token("r4", 1, 0, 3, 5);
        RequestStatus s = statusStore.get("r4");
        assertThat(s.status()).isEqualTo(RequestState.DONE);
        assertThat(s.tokens()).isEqualTo(3);
        assertThat(s.updatedMs()).isEqualTo(T0.toEpochMilli() + 10);
    }

    @Test
    void aCompletionBeforeItsPromptIsDoneAndMeteredWhenThePromptArrives() {
        completion("r5", 1, "stop", 9, 2, 100);
        RequestStatus s = statusStore.get("r5");
        assertThat(s.status()).isEqualTo(RequestState.DONE);
        assertThat(s.tenant()).isNull();
        assertThat(s.promptSeen()).isFalse();
        assertThat(s.metered()).isFalse();
        assertThat(windowSum("globex", 0)).isNull();

        prompt("r5", "{\"id\":\"r5\",\"prompt\":\"Hi\",\"tenant\":\"globex\"}", WINDOW.toMillis() + 5);
        s = statusStore.get("r5");
        assertThat(s.status()).isEqualTo(RequestState.DONE);
        assertThat(s.tenant()).isEqualTo("globex");
        assertThat(s.metered()).isTrue();
        // counted in the window of the completion, not of the (later) prompt record
        assertThat(windowSum("globex", 0)).isEqualTo(new TenantUsage(9, 2, 1));
        assertThat(windowSum("globex", WINDOW.toMillis())).isNull();
    }

    @Test
    void aDuplicateIdErrorDoesNotEndTheRunningRequest() {
        prompt("r6", "{\"id\":\"r6\",\"prompt\":\"Hi\"}", 0);
        prompt("r6", "{\"id\":\"r6\",\"prompt\":\"again\"}", 5);
        error("r6", "duplicate_id", 6);
        assertThat(statusStore.get("r6").status()).isEqualTo(RequestState.QUEUED);
        token("r6", 1, 0, 1, 10);
        error("r6", "duplicate_id", 11);
        assertThat(statusStore.get("r6").status()).isEqualTo(RequestState.RUNNING);
    }

    @Test
    void unreadableOutputRecordsAndRecordsWithoutAKeyAreSkipped() {
        tokens.pipeInput("r7", bytes("not json"), T0);
        completions.pipeInput("r7", bytes("{\"id\":\"r7\"}"), T0);
        prompts.pipeInput((String) null, bytes("{\"id\":\"r7\",\"prompt\":\"x\"}"), T0);
        completions.pipeInput("r7", null, T0);   // a tombstone
        assertThat(statusStore.get("r7")).isNull();
        prompt("r7", "{\"id\":\"r7\",\"prompt\":\"x\"}", 1);
        assertThat(statusStore.get("r7").status()).isEqualTo(RequestState.QUEUED);
    }

    @Test
    void usageIsSummedPerTenantAndWindowAndWrittenWhenTheWindowCloses() {
        prompt("a1", "{\"id\":\"a1\",\"prompt\":\"x\",\"tenant\":\"acme\"}", 0);
        prompt("a2", "{\"id\":\"a2\",\"prompt\":\"x\",\"tenant\":\"acme\"}", 0);
        prompt("g1", "{\"id\":\"g1\",\"prompt\":\"x\",\"tenant\":\"globex\"}", 0);
        prompt("n1", "{\"id\":\"n1\",\"prompt\":\"x\"}", 0);
        completion("a1", 1, "stop", 10, 5, 1_000);
        completion("a2", 1, "length", 20, 7, 2_000);
        completion("a2", 1, "length", 20, 7, 2_500);   // duplicate: counted once
        completion("g1", 1, "stop", 3, 1, 3_000);
        completion("n1", 1, "stop", 1, 1, 4_000);
        assertThat(usage.isEmpty()).as("nothing is written while the window is open").isTrue();
        assertThat(windowSum("acme", 0)).isEqualTo(new TenantUsage(30, 12, 2));
        assertThat(windowSum("globex", 0)).isEqualTo(new TenantUsage(3, 1, 1));
        assertThat(windowSum("default", 0)).isEqualTo(new TenantUsage(1, 1, 1));

        // a request in the next window, then one past its grace: stream time closes window 0
        prompt("a3", "{\"id\":\"a3\",\"prompt\":\"x\",\"tenant\":\"acme\"}", 0);
        completion("a3", 1, "stop", 4, 4, WINDOW.toMillis() + 1);
        prompt("z", "{\"id\":\"z\",\"prompt\":\"x\",\"tenant\":\"acme\"}", 0);
        completion("z", 1, "stop", 1, 1, WINDOW.plus(GRACE).toMillis() + 1);

        List<KeyValue<String, String>> out = usage.readKeyValuesToList();
        assertThat(out).extracting(kv -> kv.key).containsExactlyInAnyOrder("acme", "globex", "default");
        long start = T0.toEpochMilli();
        assertThat(out).contains(KeyValue.pair("acme", "{\"tenant\":\"acme\",\"window_start\":" + start
                + ",\"window_end\":" + (start + WINDOW.toMillis())
                + ",\"prompt_tokens\":30,\"completion_tokens\":12,\"requests\":2}"));
        assertThat(windowSum("acme", WINDOW.toMillis())).isEqualTo(new TenantUsage(5, 5, 2));
    }

    @Test
    void aCompletionLaterThanTheGraceIsNotCountedInItsClosedWindow() {
        prompt("x1", "{\"id\":\"x1\",\"prompt\":\"x\",\"tenant\":\"acme\"}", 0);
        completion("x1", 1, "stop", 1, 1, WINDOW.plus(GRACE).toMillis() + 1);
        prompt("late", "{\"id\":\"late\",\"prompt\":\"x\",\"tenant\":\"acme\"}", 0);
        completion("late", 1, "stop", 50, 50, 10);
        assertThat(windowSum("acme", 0)).isNull();
        assertThat(statusStore.get("late").status()).isEqualTo(RequestState.DONE);
    }

    @Test
    void answeredEntriesExpireAfterTheRetentionAndUnansweredOnesAfterTheStaleRetention() {
        prompt("done", "{\"id\":\"done\",\"prompt\":\"x\"}", 0);
        completion("done", 1, "stop", 1, 1, 10);
        prompt("stuck", "{\"id\":\"stuck\",\"prompt\":\"x\"}", 0);
        token("stuck", 1, 0, 1, 10);

        driver.advanceWallClockTime(DONE_RETENTION.minusMinutes(2));
        assertThat(statusStore.get("done")).isNotNull();
        driver.advanceWallClockTime(Duration.ofMinutes(3));
        assertThat(statusStore.get("done")).isNull();
        assertThat(statusStore.get("stuck")).isNotNull();
        driver.advanceWallClockTime(STALE_RETENTION);
        assertThat(statusStore.get("stuck")).isNull();
    }

    private TenantUsage windowSum(String tenant, long windowOffsetMs) {
        long start = T0.toEpochMilli() + windowOffsetMs;
        ValueAndTimestamp<TenantUsage> v = usageStore.fetch(tenant, start);
        return v == null ? null : v.value();
    }

    private void prompt(String id, String json, long atMs) {
        prompts.pipeInput(id, bytes(json), T0.plusMillis(atMs));
    }

    private void token(String id, int attempt, int seq, int count, long atMs) {
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < count; i++) {
            ids.append(i == 0 ? "" : ",").append(100 + i);
        }
        tokens.pipeInput(id, bytes("{\"id\":\"%s\",\"attempt\":%d,\"seq\":%d,\"text\":\"t\",\"token_ids\":[%s]}"
                .formatted(id, attempt, seq, ids)), T0.plusMillis(atMs));
    }

    private void completion(String id, int attempt, String reason, int promptTokens, int completionTokens, long atMs) {
        completions.pipeInput(id, bytes(("{\"id\":\"%s\",\"attempt\":%d,\"text\":\"t\",\"finish_reason\":\"%s\","
                + "\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"cached_tokens\":0},"
                + "\"timing\":{\"queued_ms\":1,\"ttft_ms\":2,\"duration_ms\":3},\"model\":\"tiny\",\"worker\":\"w-1\"}")
                .formatted(id, attempt, reason, promptTokens, completionTokens)), T0.plusMillis(atMs));
    }

    private void error(String key, String code, long atMs) {
        errors.pipeInput(key, bytes(("{\"id\":\"%s\",\"source\":{\"topic\":\"minitron.prompts\",\"partition\":0,"
                + "\"offset\":1},\"code\":\"%s\",\"message\":\"m\",\"raw_value_truncated\":false,\"worker\":\"w-1\","
                + "\"timestamp_ms\":1}").formatted(key, code)), T0.plusMillis(atMs));
    }

    private TestInputTopic<String, byte[]> input(String topic) {
        return driver.createInputTopic(topic, new StringSerializer(), new ByteArraySerializer());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
