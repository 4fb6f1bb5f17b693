package dev.minitron.worker.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.minitron.engine.FinishReason;
import dev.minitron.engine.LlmEngine;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.schemas.TokenLogprob;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.kafka.InFlight;
import dev.minitron.worker.mapping.AdmissionResult;
import dev.minitron.worker.mapping.EventMapper;
import dev.minitron.worker.mapping.RequestAdmission;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.jboss.logging.Logger;

/**
 * A synthetic warm-up before the worker takes its first prompt: a fresh JVM interprets the code a
 * request runs and compiles it while it serves, which made a scaled-up worker's first minute many
 * times slower than its second (docs/benchmarks/kafka.md#warm-up). Here that cost is paid before the
 * consumer joins its group, on requests nobody waits for: prompt records' JSON parsed and admitted
 * ({@link RequestAdmission}), engine steps over batches of 1, 2, 4 … requests with greedy and sampled
 * decoding, and every output mapped to the wire events' bytes ({@link EventMapper}, the wire JSON
 * writer), exactly as the worker does for a real request — except that nothing is sent: no producer,
 * no consumer, no offset is touched. Readiness waits for it ({@code WorkerReadiness}); it runs on
 * the startup thread after topic verification and before the consumers start, and ends within
 * {@code max-duration} (requests still running then are aborted).
 */
@ApplicationScoped
public class EngineWarmUp {

    private static final Logger LOG = Logger.getLogger(EngineWarmUp.class);
    /** Not a topic: names the synthetic records in the (never sent) error events admission could build. */
    private static final String SOURCE = "minitron.warm-up";
    private static final String TEXT = "Minitron warm-up %d: a synthetic prompt that no client sent, "
            + "run once through admission, the engine and the event mapping before this worker is ready. ";

    /** Where the warm-up stands, as readiness reports it. */
    public enum Phase { PENDING, RUNNING, DONE, OFF }

    private final WorkerConfig.Engine.WarmUp settings;
    private final boolean faultInjection;
    private final LlmEngine engine;
    private final RequestAdmission admission;
    private final EventMapper mapper;
    private final int maxInFlight;
    private final ObjectWriter json = WireJson.writer();
    private volatile Phase phase = Phase.PENDING;

    public EngineWarmUp(WorkerConfig config, EngineHolder holder, RequestAdmission admission, EventMapper mapper) {
        this.settings = config.engine().warmUp();
        var faults = config.engine().faultInjection();
        this.faultInjection = faults.stepFailureRate() > 0 || faults.deathRate() > 0;
        this.engine = holder.engine();
        this.admission = admission;
        this.mapper = mapper;
        this.maxInFlight = Math.max(1, Math.min(config.engine().maxNumSeqs(), config.consumer().maxInFlight()));
    }

    /** After topic verification (priority 10), before the prompt and cancel consumers start (default priority). */
    void onStart(@Observes @Priority(20) StartupEvent event) {
        warmUp();
        if (settings.exitAfter()) {
            // A training run (AotCacheRecording): no consumer may start. halt, not exit: Quarkus' shutdown
            // would wait for this very startup; the JVM still writes its AOT cache (-XX:AOTCacheOutput) as it halts.
            LOG.info("warm-up: minitron.engine.warm-up.exit-after is set, the JVM halts");
            Runtime.getRuntime().halt(0);
        }
    }

    private void warmUp() {
        if (!settings.enabled()) {
            phase = Phase.OFF;
            LOG.info("warm-up: off (minitron.engine.warm-up.enabled=false)");
            return;
        }
        if (faultInjection) {
            // Its draws are seeded per step: warm-up steps would move the faults a fault test expects.
            phase = Phase.OFF;
            LOG.info("warm-up: skipped, fault injection is on");
            return;
        }
        phase = Phase.RUNNING;
        try {
            run();
        } catch (RuntimeException e) {
            // Never keeps a worker from serving: it would only serve its first requests colder.
            LOG.warnf("warm-up: stopped early (%s); the worker serves without it", e.toString());
        } finally {
            phase = Phase.DONE;
        }
    }

    /** Whether the consumer may take prompts as far as the warm-up is concerned. */
    public boolean done() {
        Phase p = phase;
        return p == Phase.DONE || p == Phase.OFF;
    }

    public Phase phase() {
        return phase;
    }

    private void run() {
        long start = System.nanoTime();
        long deadline = start + settings.maxDuration().toNanos();
        long stepsBefore = engine.stats().numSteps();
        var tally = new Tally();
        List<Integer> widths = new ArrayList<>();
        for (int w = 1; w < maxInFlight && w <= 8; w *= 2) {
            widths.add(w);
        }
        widths.add(Math.min(maxInFlight, 16));
        int promptLimit = Math.max(1, Math.min(64, engine.maxModelLen() - settings.maxTokens() - 1));
        Random random = new Random(20);
        int sent = 0;
        boolean cut = false;
        while (sent < settings.requests() && !cut) {
            for (int width : widths) {
                int n = Math.min(width, settings.requests() - sent);
                if (n == 0) {
                    break;
                }
                cut = !batch(sent, n, promptLimit, random, deadline, tally);
                sent += n;
                if (cut || !engine.stats().alive()) {
                    cut = true;
                    break;
                }
            }
        }
        LOG.infof("warm-up: %d synthetic requests (batches of up to %d), %d tokens, %d engine steps, %d KiB of events"
                        + " mapped and not sent, in %d ms%s", sent, widths.getLast(), tally.tokens.get(),
                engine.stats().numSteps() - stepsBefore, tally.bytes.get() >> 10, (System.nanoTime() - start) / 1_000_000,
                cut ? "; cut short at minitron.engine.warm-up.max-duration=" + settings.maxDuration() : "");
    }

    /** Runs {@code n} requests side by side; false when the deadline cut them short. */
    private boolean batch(int first, int n, int promptLimit, Random random, long deadline, Tally tally) {
        var done = new CountDownLatch(n);
        List<String> ids = new ArrayList<>(n);
        for (int i = first; i < first + n; i++) {
            String id = "warm-up-" + i;
            byte[] value = promptJson(id, i, promptLimit, random).getBytes(StandardCharsets.UTF_8);
            byte[] key = id.getBytes(StandardCharsets.UTF_8);
            long now = System.currentTimeMillis();
            var record = new ConsumerRecord<>(SOURCE, 0, i, now, TimestampType.CREATE_TIME, key.length, value.length,
                    key, value, new RecordHeaders(), Optional.empty());
            if (!(admission.admit(record) instanceof AdmissionResult.Accepted accepted)) {
                throw new IllegalStateException("a synthetic prompt was not admitted");
            }
            String engineId = InFlight.engineRequestId(id, new TopicPartition(SOURCE, 0), i, 0);
            var flight = new InFlight(new TopicPartition(SOURCE, 0), i, 0, id, engineId, 1, accepted.stream(),
                    accepted.metadata(), now, 0);
            engine.addRequest(accepted.request().withRequestId(engineId), sink(flight, done, tally));
            ids.add(engineId);
        }
        if (await(done, deadline)) {
            return true;
        }
        ids.forEach(id -> engine.abort(id, FinishReason.CANCELLED));
        // Aborted requests end within one step; the bound is for a dead engine, which answers nothing.
        await(done, System.nanoTime() + settings.maxDuration().toNanos());
        return false;
    }

    private boolean await(CountDownLatch done, long deadline) {
        try {
            while (engine.stats().alive()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (done.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS)) {
                    return true;
                }
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The worker's per-output work (ResultPublisher's sink) up to the bytes a producer would be given. */
    private RequestSink sink(InFlight flight, CountDownLatch done, Tally tally) {
        List<TokenLogprob> logprobs = new ArrayList<>();   // engine thread only
        return output -> {
            try {
                switch (output) {
                    case RequestOutput.TokenDelta delta -> {
                        var event = mapper.token(flight, delta);
                        if (event.logprobs() != null) {
                            logprobs.addAll(event.logprobs());
                        }
                        tally.tokens.addAndGet(delta.tokenIds().length);
                        tally.bytes.addAndGet(json.writeValueAsBytes(event).length);
                    }
                    case RequestOutput.Finished finished -> {
                        tally.bytes.addAndGet(json.writeValueAsBytes(mapper.completion(flight, finished, logprobs)).length);
                    }
                }
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialize a warm-up event", e);
            } finally {
                if (output instanceof RequestOutput.Finished) {
                    done.countDown();   // also when its mapping threw: the warm-up never waits for nothing
                }
            }
        };
    }

    /**
     * A prompt record's value as a client writes it. Alternates text prompts (the tokenizer) and token
     * ids, greedy and sampled decoding (temperature, top-k/top-p/min-p, penalties, a seed), and every
     * eighth asks for logprobs, so the sampler's paths are all compiled before a client needs them.
     */
    private String promptJson(String id, int i, int promptLimit, Random random) {
        var b = new StringBuilder(512).append("{\"id\":\"").append(id).append('"');
        if (i % 2 == 0) {
            String text = TEXT.formatted(i).repeat(1 + promptLimit / 64);
            // At most a character per token (ASCII) plus BOS: within promptLimit tokens.
            int chars = Math.max(1, promptLimit / 2 + random.nextInt(Math.max(1, promptLimit / 2)) - 1);
            b.append(",\"prompt\":\"").append(text, 0, Math.min(text.length(), chars)).append('"');
        } else {
            int length = 1 + random.nextInt(promptLimit);
            int vocab = Math.min(engine.tokenizer().vocabSize(), 1000);
            b.append(",\"prompt_token_ids\":[");
            for (int t = 0; t < length; t++) {
                b.append(t == 0 ? "" : ",").append(3 + random.nextInt(Math.max(1, vocab - 3)));
            }
            b.append(']');
        }
        b.append(",\"max_tokens\":").append(settings.maxTokens()).append(",\"ignore_eos\":true,\"stream\":true");
        if (i % 4 < 2) {
            b.append(",\"temperature\":0");
        } else {
            b.append(",\"temperature\":0.8,\"top_k\":40,\"top_p\":0.95,\"min_p\":0.05,\"repetition_penalty\":1.1")
                    .append(",\"presence_penalty\":0.1,\"frequency_penalty\":0.1,\"seed\":").append(i);
        }
        if (i % 8 == 7) {
            b.append(",\"logprobs\":2");
        }
        return b.append("}").toString();
    }

    private static final class Tally {
        final AtomicLong tokens = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
    }
}
