package dev.minitron.worker.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.WireEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.WorkerIdentity;
import dev.minitron.worker.mapping.EventMapper;
import dev.minitron.worker.metrics.ErrorEventMetrics;
import dev.minitron.worker.metrics.KafkaClientMetricsBinder;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import dev.minitron.worker.tracing.FirstTokenHops;
import dev.minitron.worker.tracing.RequestTrace;
import java.time.Duration;
import dev.minitron.schemas.TokenLogprob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.jboss.logging.Logger;

/**
 * Turns a request's engine outputs into wire events, keyed by request id: token events, sent at once
 * on an idempotent {@code acks=all} producer (never transactional: streaming never waits for a
 * commit), and the completion or error event, handed to the {@link AnswerDelivery} of the configured
 * guarantee, whose writing is what lets the prompt's offset be committed. A completion too large for
 * one record is sent without its logprobs, and if even that is too large, as an error completion: a
 * record that can never be written must not send the prompt round the fleet. Every record carries
 * its request's trace context ({@code traceparent}, {@code tracestate}: docs/tracing.md).
 */
@ApplicationScoped
public class ResultPublisher {

    private static final Logger LOG = Logger.getLogger(ResultPublisher.class);
    /** Room for the key, headers and record overhead within {@code max.request.size}. */
    private static final int RECORD_OVERHEAD = 16 * 1024;
    private static final Duration WARM_UP = Duration.ofSeconds(60);

    private final KafkaProducer<byte[], byte[]> producer;
    private final WorkerConfig.Topics topics;
    private final EventMapper mapper;
    private final ObjectWriter json = WireJson.writer();
    private final int maxValueBytes;
    private final AtomicLong failedTerminalSends = new AtomicLong();
    private final ErrorEventMetrics errorMetrics;
    private final AutoCloseable clientMetricsBinding;

    public ResultPublisher(KafkaSettings settings, WorkerConfig config, WorkerIdentity identity, EventMapper mapper,
                           ErrorEventMetrics errorMetrics, KafkaClientMetricsBinder clientMetrics) {
        this.producer = new KafkaProducer<>(settings.producer("minitron-worker-" + identity.id()));
        this.errorMetrics = errorMetrics;
        this.clientMetricsBinding = clientMetrics.bind(producer);
        this.topics = config.topics();
        this.mapper = mapper;
        this.maxValueBytes = settings.maxRecordBytes() - RECORD_OVERHEAD;
        var outputTopics = List.of(topics.tokens(), topics.completions(), topics.errors());
        Thread.ofVirtual().name("minitron-producer-warm-up").start(() -> warmUp(outputTopics));
    }

    /**
     * Fetches the output topics' metadata before the first answer. A send for a topic the producer
     * has no metadata for blocks the engine thread up to {@code max.block.ms} and then fails: on a
     * busy start that lost the first token events of the first prompts (a gap in their streams, found
     * by the chaos suite). Best effort, on its own thread (never on a probe's or the poll thread's
     * path): topic verification fails startup if the topics are unusable, and a broker that is away
     * now is retried by the sends themselves.
     */
    private void warmUp(List<String> outputTopics) {
        long deadline = System.nanoTime() + WARM_UP.toNanos();
        for (String topic : outputTopics) {
            while (true) {
                try {
                    producer.partitionsFor(topic);
                    break;
                } catch (IllegalStateException closed) {
                    return;   // the worker is stopping
                } catch (KafkaException e) {
                    if (System.nanoTime() > deadline) {
                        LOG.warnf("no metadata for %s within %s at startup; the first sends will wait for it: %s", topic,
                                WARM_UP, e.toString());
                        return;
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        }
    }

    /** Completions that could not even be serialized; non-zero means the worker must restart. */
    long failedCompletions() {
        return failedTerminalSends.get();
    }

    /**
     * The sink for one request's engine outputs, the request's pipeline run one way: trace → map →
     * publish. Token events go out at once on this producer (idempotent, never transactional: streaming
     * never waits for a commit); the completion goes to {@code delivery}, which writes it and lets the
     * ledger commit its offset.
     */
    public RequestSink sinkFor(InFlight request, AnswerDelivery delivery) {
        RequestTrace trace = request.trace();
        List<TokenLogprob> logprobs = new ArrayList<>();   // engine thread only: gathered for the completion
        return output -> {
            if (request.revoked()) {
                if (output instanceof RequestOutput.Finished) {
                    trace.revoked();   // the partition's owner answers it
                }
                return;
            }
            switch (output) {
                case RequestOutput.TokenDelta delta -> {
                    FirstTokenHops hops = request.hops();
                    if (hops != null && hops.firstToken == 0) {
                        hops.firstToken = FirstTokenHops.nowMicros();
                    } else {
                        hops = null;   // only the first token event's way is recorded
                    }
                    trace.token(delta);
                    var event = mapper.token(request, delta);
                    if (event.logprobs() != null) {
                        logprobs.addAll(event.logprobs());
                    }
                    if (request.stream() && !request.streamCut()) {
                        sendToken(key(request.id()), bytes(event), trace.headers(), request::cutStream, hops);
                    }
                }
                case RequestOutput.Finished finished -> {
                    trace.finished(finished);
                    byte[] value;
                    try {
                        value = completionBytes(mapper.completion(request, finished, logprobs));
                    } catch (RuntimeException e) {
                        failedTerminalSends.incrementAndGet();   // no answer: the prompt stays uncommitted
                        LOG.errorf("cannot serialize a completion (%s): its prompt stays uncommitted and this worker"
                                + " reports itself not live", e.toString());
                        trace.notPublished(e.getClass().getSimpleName());
                        return;
                    }
                    delivery.publish(new Answer(request, true, topics.completions(), key(request.id()), value,
                            trace.headers(), trace, trace::published));
                }
            }
        };
    }

    /**
     * Publishes an error event for a rejected record, keyed by the prompt's id, or — when no id could
     * be read — by the rejected record's own key, so a client filtering on the key it sent still sees
     * the answer.
     */
    public void error(ErrorEvent event, byte[] recordKey, List<Header> traceHeaders, InFlight rejected,
                      AnswerDelivery delivery) {
        byte[] k = event.id() != null ? key(event.id()) : recordKey;
        delivery.publish(new Answer(rejected, false, topics.errors(), k, bytes(event), traceHeaders, RequestTrace.NONE,
                () -> errorMetrics.published(event.code())));
    }

    /** The idempotent producer of token events, which at-least-once delivery uses for answers too. */
    KafkaProducer<byte[], byte[]> producer() {
        return producer;
    }

    private static byte[] key(String id) {
        return id.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private byte[] completionBytes(CompletionEvent c) {
        byte[] value = bytes(c);
        if (value.length > maxValueBytes && c.logprobs() != null) {
            LOG.warnf("completion of %s is %d bytes: sent without logprobs", c.id(), value.length);
            value = bytes(mapper.withoutLogprobs(c));
        }
        if (value.length > maxValueBytes) {
            value = bytes(mapper.tooLarge(c, value.length, maxValueBytes));
        }
        return value;
    }

    private byte[] bytes(WireEvent event) {
        try {
            return json.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event.getClass().getSimpleName(), e);
        }
    }

    /**
     * {@code onFailed}: runs when the token event is not written (the stream is cut there);
     * {@code hops}: the request's first-token hops to complete and commit, or null.
     */
    private void sendToken(byte[] key, byte[] value, List<Header> headers, Runnable onFailed, FirstTokenHops hops) {
        Consumer<Exception> notWritten = e -> {
            onFailed.run();
            LOG.warnf("a token event was not written to %s (its request streams no more tokens; its completion "
                    + "carries the whole text): %s", topics.tokens(), e.toString());
        };
        if (hops != null) {
            hops.sent = FirstTokenHops.nowMicros();   // before send(): its callback may run before send() returns
        }
        try {
            producer.send(new ProducerRecord<>(topics.tokens(), null, key, value, headers), (metadata, e) -> {
                if (e != null) {
                    notWritten.accept(e);
                } else if (hops != null) {
                    hops.acked = FirstTokenHops.nowMicros();
                    hops.commit();
                }
            });

        } catch (RuntimeException e) {
            notWritten.accept(e);
        }
    }

    @PreDestroy
    void close() {
        try {
            clientMetricsBinding.close();
        } catch (Exception e) {
            LOG.debugf("unbinding the producer's metrics: %s", e.toString());
        }
        producer.close(Duration.ofSeconds(10));
    }
}
