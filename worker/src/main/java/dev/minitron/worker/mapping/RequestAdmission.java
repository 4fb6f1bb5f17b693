package dev.minitron.worker.mapping;

import dev.minitron.engine.EngineRequest;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.structured.GrammarCompiler;
import dev.minitron.engine.structured.GrammarException;
import dev.minitron.engine.structured.StructuredOutputsParams;
import dev.minitron.engine.structured.TokenGrammar;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.ResponseFormat;
import dev.minitron.schemas.StructuredOutputs;
import dev.minitron.schemas.decode.InvalidPromptException;
import dev.minitron.schemas.decode.PromptDecoder;
import dev.minitron.worker.config.WorkerConfig;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.engine.WorkerIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns one prompt record into an engine request, or into an error event that says exactly what
 * is wrong with it. Never throws: whatever the bytes, the record gets an answer.
 */
@ApplicationScoped
public class RequestAdmission {

    private final PromptDecoder decoder;
    private final Tokenizer tokenizer;
    private final EngineHolder engine;
    private final String worker;

    public RequestAdmission(WorkerConfig config, EngineHolder engine, WorkerIdentity identity) {
        this.decoder = new PromptDecoder(config.consumer().maxRecordBytes());
        this.tokenizer = engine.engine().tokenizer();
        this.engine = engine;
        this.worker = identity.id();
    }

    /**
     * Decodes and checks one record. Besides the prompt schema, the record key must be the id's UTF-8
     * bytes: every record of an id must land in one partition, or the idempotency window (which is
     * per partition owner) and the ordering of an id's answers would not hold.
     */
    public AdmissionResult admit(ConsumerRecord<byte[], byte[]> record) {
        PromptEvent prompt;
        try {
            prompt = decoder.decode(record.value());
        } catch (InvalidPromptException e) {
            return reject(record, e.id().orElse(null), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            return reject(record, null, ErrorCode.INTERNAL, "could not read the prompt: " + e.getClass().getSimpleName());
        }
        if (record.key() == null) {
            return reject(record, prompt.id(), ErrorCode.INVALID_REQUEST,
                    "the record has no key: key every prompt record by its id");
        }
        if (!Arrays.equals(record.key(), prompt.id().getBytes(StandardCharsets.UTF_8))) {
            return reject(record, prompt.id(), ErrorCode.INVALID_REQUEST,
                    "the record key (" + describeKey(record.key()) + ") is not the id: key every prompt record by its id");
        }
        TokenGrammar grammar = null;
        if (prompt.structured()) {
            if (!prompt.sampling().stop().isEmpty() || prompt.sampling().ignoreEos()) {
                return reject(record, prompt.id(), ErrorCode.INVALID_REQUEST, (prompt.sampling().ignoreEos()
                        ? "ignore_eos" : "stop") + ": cannot be combined with " + structuredField(prompt)
                        + " (the grammar decides where the output ends)");
            }
            try {
                grammar = compile(prompt);
            } catch (GrammarException e) {
                ErrorCode code = e.kind() == GrammarException.Kind.UNSUPPORTED_SCHEMA
                        ? ErrorCode.UNSUPPORTED_SCHEMA : ErrorCode.INVALID_REQUEST;
                return reject(record, prompt.id(), code, structuredField(prompt) + ": " + e.getMessage());
            }
        }
        try {
            var s = prompt.sampling();
            SamplingParams params = SamplingParams.builder()
                    .maxTokens(s.maxTokens()).temperature(s.temperature()).topP(s.topP()).topK(s.topK())
                    .minP(s.minP()).repetitionPenalty(s.repetitionPenalty()).presencePenalty(s.presencePenalty())
                    .frequencyPenalty(s.frequencyPenalty()).seed(s.seed()).stop(s.stop())
                    .stopTokenIds(s.stopTokenIds().toArray()).ignoreEos(s.ignoreEos()).logprobs(s.logprobs())
                    .grammar(grammar).build();
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

    /**
     * Compiles the prompt's structured-output field here, on the consumer's thread: the engine thread
     * never waits for a schema. Repeated schemas are a cache hit in the compiler.
     */
    private TokenGrammar compile(PromptEvent prompt) {
        GrammarCompiler compiler = engine.engine().grammarCompiler();
        return compiler.compile(structuredOutputsParams(prompt));
    }

    static StructuredOutputsParams structuredOutputsParams(PromptEvent prompt) {
        StructuredOutputs so = prompt.structuredOutputs();
        if (so != null) {
            return new StructuredOutputsParams(so.jsonText(), so.regex(), so.choice(), so.grammar(),
                    Boolean.TRUE.equals(so.jsonObject()));
        }
        ResponseFormat rf = prompt.responseFormat();
        return rf.type().equals(ResponseFormat.JSON_OBJECT)
                ? StructuredOutputsParams.anyJsonObject()
                : StructuredOutputsParams.json(rf.jsonSchema().schema().toString());
    }

    /** The wire field that asked for the constraint, to name in an error. */
    private static String structuredField(PromptEvent prompt) {
        StructuredOutputs so = prompt.structuredOutputs();
        if (so == null) {
            return prompt.responseFormat().type().equals(ResponseFormat.JSON_OBJECT)
                    ? "response_format" : "response_format.json_schema.schema";
        }
        return "structured_outputs." + (so.json() != null ? "json" : so.regex() != null ? "regex"
                : so.choice() != null ? "choice" : so.grammar() != null ? "grammar" : "json_object");
    }

    /** A valid prompt whose id this worker is generating or answered lately: never generated twice. */
    public AdmissionResult.Rejected duplicate(ConsumerRecord<byte[], byte[]> record, String id, String message) {
        return reject(record, id, ErrorCode.DUPLICATE_ID, message);
    }

    private static String describeKey(byte[] key) {
        var decoder = StandardCharsets.UTF_8.newDecoder();
        try {
            String k = decoder.decode(java.nio.ByteBuffer.wrap(key)).toString();
            return k.length() > 64 ? "'" + k.substring(0, 64) + "…'" : "'" + k + "'";
        } catch (java.nio.charset.CharacterCodingException e) {
            return key.length + " bytes, not UTF-8";
        }
    }

    private AdmissionResult.Rejected reject(ConsumerRecord<byte[], byte[]> record, String id, ErrorCode code, String message) {
        var source = new ErrorEvent.SourceRef(record.topic(), record.partition(), record.offset());
        return new AdmissionResult.Rejected(ErrorEvent.of(id, source, code, message, record.value(), worker,
                System.currentTimeMillis()));
    }
}
