package dev.minitron.worker.mapping;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.decode.InvalidPromptException;
import dev.minitron.schemas.decode.PromptDecoder;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.engine.WorkerIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns one prompt record into an engine request, or into an error event that says exactly what
 * is wrong with it. Never throws: whatever the bytes, the record gets an answer.
 */
@ApplicationScoped
public class RequestAdmission {

    private final PromptDecoder decoder;
    private final Tokenizer tokenizer;
    private final String worker;

    public RequestAdmission(WorkerConfig config, EngineHolder engine, WorkerIdentity identity) {
        this.decoder = new PromptDecoder(config.consumer().maxRecordBytes());
        this.tokenizer = engine.engine().tokenizer();
        this.worker = identity.id();
    }

    /** @param inFlightIds ids being generated right now: a second prompt with one of them is refused */
    public AdmissionResult admit(ConsumerRecord<byte[], byte[]> record, Set<String> inFlightIds) {
        PromptEvent prompt;
        try {
            prompt = decoder.decode(record.value());
        } catch (InvalidPromptException e) {
            return reject(record, e.id().orElse(null), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            return reject(record, null, ErrorCode.INTERNAL, "could not read the prompt: " + e.getClass().getSimpleName());
        }
        if (inFlightIds.contains(prompt.id())) {
            return reject(record, prompt.id(), ErrorCode.DUPLICATE_ID,
                    "a request with id " + prompt.id() + " is being generated right now");
        }
        try {
            var s = prompt.sampling();
            SamplingParams params = SamplingParams.builder()
                    .maxTokens(s.maxTokens()).temperature(s.temperature()).topP(s.topP()).topK(s.topK())
                    .minP(s.minP()).repetitionPenalty(s.repetitionPenalty()).presencePenalty(s.presencePenalty())
                    .frequencyPenalty(s.frequencyPenalty()).seed(s.seed()).stop(s.stop())
                    .stopTokenIds(s.stopTokenIds().toArray()).ignoreEos(s.ignoreEos()).logprobs(s.logprobs())
                    .build();
            int[] ids = prompt.prompt() != null ? tokenizer.encode(prompt.prompt()) : prompt.promptTokenIds().toArray();
            Instant recordTime = Instant.ofEpochMilli(Math.max(0, record.timestamp()));
            Instant deadline = prompt.expiresAt(recordTime).orElse(null);
            // Named by the prompt id here; PromptConsumer gives it its unique per-admission engine id.
            var request = new EngineRequest(prompt.id(), ids, params, prompt.priorityOrDefault(), deadline);
            Map<String, String> metadata = prompt.metadata();
            return new AdmissionResult.Accepted(prompt.id(), request, prompt.streaming(), metadata, recordTime);
        } catch (IllegalArgumentException e) {
            return reject(record, prompt.id(), ErrorCode.VALUE_OUT_OF_RANGE, e.getMessage());
        }
    }

    private AdmissionResult reject(ConsumerRecord<byte[], byte[]> record, String id, ErrorCode code, String message) {
        var source = new ErrorEvent.SourceRef(record.topic(), record.partition(), record.offset());
        return new AdmissionResult.Rejected(ErrorEvent.of(id, source, code, message, record.value(), worker,
                System.currentTimeMillis()));
    }
}
