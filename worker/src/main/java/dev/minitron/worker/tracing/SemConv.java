package dev.minitron.worker.tracing;

import io.opentelemetry.api.common.AttributeKey;
import java.util.List;

/**
 * The attribute names the worker's spans use: OpenTelemetry's messaging (Kafka) and GenAI semantic
 * conventions as of semconv 1.37, written out here rather than pulled in from the incubating
 * semconv artifact, and the few {@code minitron.*} ones of our own.
 */
final class SemConv {

    // messaging: https://opentelemetry.io/docs/specs/semconv/messaging/kafka/
    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> MESSAGING_OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> MESSAGING_OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> MESSAGING_DESTINATION_NAME = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> MESSAGING_DESTINATION_PARTITION_ID =
            AttributeKey.stringKey("messaging.destination.partition.id");
    static final AttributeKey<Long> MESSAGING_KAFKA_OFFSET = AttributeKey.longKey("messaging.kafka.offset");
    static final AttributeKey<String> MESSAGING_KAFKA_MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");
    static final AttributeKey<String> MESSAGING_CONSUMER_GROUP_NAME =
            AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<Long> MESSAGING_MESSAGE_BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");

    // GenAI: https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
    static final AttributeKey<String> GEN_AI_OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> GEN_AI_REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> GEN_AI_RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<String> GEN_AI_RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
    static final AttributeKey<Long> GEN_AI_REQUEST_MAX_TOKENS = AttributeKey.longKey("gen_ai.request.max_tokens");
    static final AttributeKey<Double> GEN_AI_REQUEST_TEMPERATURE = AttributeKey.doubleKey("gen_ai.request.temperature");
    static final AttributeKey<Double> GEN_AI_REQUEST_TOP_P = AttributeKey.doubleKey("gen_ai.request.top_p");
    static final AttributeKey<Long> GEN_AI_REQUEST_TOP_K = AttributeKey.longKey("gen_ai.request.top_k");
    static final AttributeKey<Long> GEN_AI_REQUEST_SEED = AttributeKey.longKey("gen_ai.request.seed");
    static final AttributeKey<Long> GEN_AI_USAGE_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> GEN_AI_USAGE_OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<List<String>> GEN_AI_RESPONSE_FINISH_REASONS =
            AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    /** Opt-in content (minitron.tracing.capture-content): JSON messages, as the GenAI conventions shape them. */
    static final AttributeKey<String> GEN_AI_INPUT_MESSAGES = AttributeKey.stringKey("gen_ai.input.messages");
    static final AttributeKey<String> GEN_AI_OUTPUT_MESSAGES = AttributeKey.stringKey("gen_ai.output.messages");

    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    // ours
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("minitron.request.id");
    static final AttributeKey<Long> REQUEST_ATTEMPT = AttributeKey.longKey("minitron.request.attempt");
    static final AttributeKey<Long> USAGE_CACHED_TOKENS = AttributeKey.longKey("minitron.usage.cached_tokens");
    static final AttributeKey<Long> PREEMPTIONS = AttributeKey.longKey("minitron.request.preemptions");
    static final AttributeKey<String> WORKER_ID = AttributeKey.stringKey("minitron.worker.id");
    static final AttributeKey<Long> STEP_NUMBER = AttributeKey.longKey("minitron.step.number");
    static final AttributeKey<Long> STEP_TOKENS = AttributeKey.longKey("minitron.step.tokens");
    static final AttributeKey<Long> STEP_PREFILL_TOKENS = AttributeKey.longKey("minitron.step.prefill_tokens");
    static final AttributeKey<Long> STEP_BATCH_SIZE = AttributeKey.longKey("minitron.step.batch_size");
    static final AttributeKey<Long> STEP_PREEMPTED = AttributeKey.longKey("minitron.step.preempted");
    static final AttributeKey<String> STEP_SAMPLED_BY = AttributeKey.stringKey("minitron.step.sampled_by");

    static final String TEXT_COMPLETION = "text_completion";
    static final String KAFKA = "kafka";

    private SemConv() {}
}
