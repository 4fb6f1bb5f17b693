package dev.minitron.worker.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Everything a worker can be told, under {@code minitron.*}; Kafka client settings live under {@code kafka.*}. */
@ConfigMapping(prefix = "minitron")
public interface WorkerConfig {

    Model model();

    Engine engine();

    Topics topics();

    Consumer consumer();

    Delivery delivery();

    Worker worker();

    Tracing tracing();

    interface Model {
        /** A Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.model). */
        Optional<Path> path();

        /** The model name reported in completions; default: the directory's name. */
        Optional<String> name();
    }

    interface Engine {
        /**
         * {@code auto} (CUDA when a usable GPU and its libraries are present, else CPU), {@code cpu} or
         * {@code cuda}; {@code simulated} for benchmarks of the delivery path only (fixed-time steps,
         * no model: see {@link #simulatedStepTime()}).
         */
        @WithDefault("auto")
        String device();

        /** Device {@code simulated}: the fixed time every model step takes (a GPU step's floor). */
        @WithDefault("20ms")
        Duration simulatedStepTime();

        /** Device {@code simulated}: time added per token a step computes (a GPU step's growth with its batch). */
        @WithDefault("0ms")
        Duration simulatedTokenTime();

        @WithDefault("64")
        int maxNumSeqs();

        @WithDefault("512")
        int maxNumBatchedTokens();

        /** 0: the model's max_position_embeddings. */
        @WithDefault("0")
        int maxModelLen();

        @WithDefault("16")
        int blockSize();

        /** KV cache budget of the CPU backend. */
        @WithDefault("268435456")
        long kvCacheBytes();

        /** CPU threads for the model; 0: all cores. */
        @WithDefault("0")
        int threads();

        /** Fraction of GPU memory the engine may take (weights, activations, KV); cuda backend only. */
        @WithDefault("0.9")
        double gpuMemoryUtilization();

        /** Injected model-step failures: for fault tests (docs/reliability.md) only, off by default. */
        FaultInjection faultInjection();

        /** The synthetic warm-up before the worker is ready (docs/configuration.md#warm-up-before-ready-and-the-java-aot-cache). */
        WarmUp warmUp();

        /**
         * {@code minitron.engine.warm-up.*}: synthetic requests through admission, the engine and the event
         * mapping before the consumer starts, so a new worker does not serve its first minute from a cold JIT.
         * Nothing is sent to Kafka. Skipped when fault injection is on.
         */
        interface WarmUp {
            @WithDefault("true")
            boolean enabled();

            /** Synthetic requests in all, run in batches of 1, 2, 4, 8 and up to 16 side by side. */
            @WithDefault("64")
            int requests();

            /** Tokens each synthetic request generates. */
            @WithDefault("16")
            int maxTokens();

            /** The bound: requests still running then are aborted and the worker goes on starting. */
            @WithDefault("15s")
            Duration maxDuration();

            /**
             * Halt the JVM right after the warm-up, before any Kafka client starts: a training run that
             * records a Java AOT cache ({@code AotCacheRecording}); never on a serving worker.
             */
            @WithDefault("false")
            boolean exitAfter();
        }

        /** {@code minitron.engine.fault-injection.*}; never in production. */
        interface FaultInjection {
            /** Probability in [0, 1] that a model step fails (its requests are answered {@code engine_error}). */
            @WithDefault("0")
            double stepFailureRate();

            /** Probability in [0, 1] that a model step kills the engine, as a lost device would. */
            @WithDefault("0")
            double deathRate();

            /** Seeds the draws, so a worker injects the same faults at the same steps. */
            @WithDefault("0")
            long seed();
        }
    }

    interface Topics {
        @WithDefault("minitron.prompts")
        String prompts();

        @WithDefault("minitron.tokens")
        String tokens();

        @WithDefault("minitron.completions")
        String completions();

        @WithDefault("minitron.errors")
        String errors();

        @WithDefault("minitron.cancels")
        String cancels();

        /** At startup, create missing topics (the settings below); existing ones are only verified. */
        @WithDefault("false")
        boolean create();

        /** At startup, check that the topics exist and completions are compacted; fail startup if not. */
        @WithDefault("true")
        boolean verify();

        /** Partitions of created topics; prompts' count caps how many workers share the load. */
        @WithDefault("4")
        int partitions();

        /** Replication factor of created topics; -1: the cluster's {@code default.replication.factor}. */
        @WithDefault("-1")
        short replicationFactor();

        /** {@code retention.ms} of a created tokens topic (streams are read live; keep them briefly). */
        @WithDefault("1h")
        Duration tokensRetention();
    }

    interface Consumer {
        @WithDefault("minitron-workers")
        String groupId();

        /** Prompts taken from Kafka but not yet answered; beyond it the worker pauses its partitions. */
        @WithDefault("128")
        int maxInFlight();

        /** Prompt records larger than this are answered with a {@code record_too_large} error. */
        @WithDefault("1048576")
        int maxRecordBytes();

        @WithDefault("100ms")
        Duration pollTimeout();

        /** A cancel applies to its id for this long: it stops a prompt that arrives after it, too. */
        @WithDefault("10m")
        Duration cancelWindow();

        /**
         * A prompt whose id was answered by this worker within this window is not generated again
         * (it gets a {@code duplicate_id} error event); 0 turns the check off.
         */
        @WithDefault("10m")
        Duration idempotencyWindow();

        /** The most ids the idempotency window remembers (oldest forgotten first). */
        @WithDefault("100000")
        int idempotencyMaxIds();

        /** Prompts handed to the engine and not yet started, at most; 0: the engine's max-num-seqs. */
        @WithDefault("0")
        int maxWaiting();

        /** The longest attempt journal a commit carries; keep under the broker's offset.metadata.max.bytes. */
        @WithDefault("4000")
        int attemptJournalMaxBytes();

        /**
         * A partition is paused while taking its next record would put it more than this many offsets
         * above its committed watermark (a slow prompt holds the watermark back): this bounds the
         * per-partition offset state and the attempt journal, whatever the in-flight cap.
         */
        @WithDefault("10000")
        int maxUncommittedSpan();
    }

    /** What a reader of the output topics may rely on (docs/delivery.md). */
    interface Delivery {
        /**
         * {@code exactly-once}: completions and error events are written in Kafka transactions that
         * also commit their prompts' offsets, so a read_committed reader sees one answer per prompt
         * record; {@code at-least-once}: an idempotent producer, offsets committed after the answer is
         * acknowledged (a crash may repeat an answer).
         */
        @WithDefault("exactly-once")
        String guarantee();

        /** exactly-once: answers wait at most this long for their transaction to commit. */
        @WithDefault("20ms")
        Duration commitInterval();

        /** exactly-once: a transaction commits as soon as this many answers wait, whatever the interval. */
        @WithDefault("256")
        int commitMaxAnswers();

        /**
         * exactly-once: the producer's {@code transactional.id}; default {@code <group>-<worker id>}.
         * Keep it stable per worker slot (a pod name): a restarted worker then aborts its predecessor's
         * open transaction at once instead of after {@code transaction-timeout}. Never share it between
         * two live workers: they would fence each other.
         */
        Optional<String> transactionalId();

        /** exactly-once: the broker aborts a transaction left open this long (a crashed worker's). */
        @WithDefault("10s")
        Duration transactionTimeout();
    }

    interface Worker {
        /** This worker's name in completions and logs; default: host name and process id. */
        Optional<String> id();

        /** On shutdown, how long in-flight requests may finish before they are left for redelivery. */
        @WithDefault("30s")
        Duration shutdownGrace();

        /** Liveness fails when the engine loop has not turned for this long. */
        @WithDefault("120s")
        Duration livenessTimeout();
    }

    /** OpenTelemetry tracing (docs/tracing.md). Spans are exported only where an endpoint is set. */
    interface Tracing {
        /** OTLP over HTTP (protobuf), e.g. {@code http://otel-collector:4318/v1/traces}; unset: no OTLP export. */
        Optional<String> otlpEndpoint();

        /** Extra OTLP request headers, {@code key=value,key2=value2} (e.g. an authorization token). */
        Optional<String> otlpHeaders();

        /** Zipkin v2 JSON, e.g. {@code http://localhost:9411/api/v2/spans}; unset: no Zipkin export. */
        Optional<String> zipkinEndpoint();

        /** Fraction of new traces recorded; a prompt's own sampled flag decides for the traces it starts. */
        @WithDefault("1.0")
        double sampleRatio();

        /** Every Nth engine step gets a span (0: none by count). */
        @WithDefault("100")
        int stepSampleEvery();

        /** And every step at least this slow. */
        @WithDefault("500ms")
        Duration slowStep();

        /** Put prompt and completion text on request spans ({@code gen_ai.input/output.messages}). Off by default. */
        @WithDefault("false")
        boolean captureContent();
    }
}
