package dev.minitron.worker.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.RequestSink;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.WireEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.WorkerIdentity;
import dev.minitron.worker.mapping.EventMapper;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

/**
 * Writes token events, completions and error events, keyed by request id, with one idempotent
 * {@code acks=all} producer. A terminal record's acknowledgement is what lets its prompt's offset be
 * committed; a terminal record the broker never takes leaves the offset uncommitted and marks the
 * worker not live, so it is restarted and the prompt redelivered.
 */
@ApplicationScoped
public class ResultPublisher {

    private static final Logger LOG = Logger.getLogger(ResultPublisher.class);

    private final KafkaProducer<String, byte[]> producer;
    private final WorkerConfig.Topics topics;
    private final EventMapper mapper;
    private final ObjectWriter json = WireJson.writer();
    private final AtomicLong failedTerminalSends = new AtomicLong();

    public ResultPublisher(KafkaSettings settings, WorkerConfig config, WorkerIdentity identity, EventMapper mapper) {
        this.producer = new KafkaProducer<>(settings.producer("minitron-worker-" + identity.id()));
        this.topics = config.topics();
        this.mapper = mapper;
    }

    /** Terminal records the broker refused after all retries; non-zero means the worker must restart. */
    public long failedTerminalSends() {
        return failedTerminalSends.get();
    }

    /** The sink for one request's engine outputs; {@code onAnswered} runs once its completion is acknowledged. */
    public RequestSink sinkFor(InFlight request, Consumer<InFlight> onAnswered) {
        return output -> {
            if (request.revoked()) {
                if (output instanceof RequestOutput.Finished) {
                    onAnswered.accept(request);   // forget it; the new owner answers
                }
                return;
            }
            switch (output) {
                case RequestOutput.TokenDelta delta -> {
                    if (request.stream()) {
                        send(topics.tokens(), request.id(), mapper.token(request, delta), null);
                    }
                }
                case RequestOutput.Finished finished ->
                        send(topics.completions(), request.id(), mapper.completion(request, finished),
                                () -> onAnswered.accept(request));
            }
        };
    }

    public void error(ErrorEvent event, Runnable onAcknowledged) {
        send(topics.errors(), event.id(), event, onAcknowledged);
    }

    private void send(String topic, String key, WireEvent event, Runnable onAcknowledged) {
        byte[] value;
        try {
            value = json.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event.getClass().getSimpleName(), e);
        }
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, e) -> {
            if (e == null) {
                if (onAcknowledged != null) {
                    onAcknowledged.run();
                }
            } else if (onAcknowledged != null) {
                failedTerminalSends.incrementAndGet();
                LOG.errorf("the broker did not take a terminal record for topic %s (%s); its prompt stays uncommitted",
                        topic, e.toString());
            } else {
                LOG.warnf("a token event was not written to %s: %s", topic, e.toString());
            }
        });
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
