package dev.minitron.engine.backend;

import dev.minitron.engine.config.ModelConfig;
import dev.minitron.engine.config.ModelConfigs;
import dev.minitron.engine.io.Checkpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-in device (name {@code simulated}) for measuring everything around the model: a step
 * takes a fixed time and does no arithmetic, so one machine can host many "GPU" workers and the
 * Kafka path, not the model, is what a benchmark sees (docs/benchmarks/kafka.md, "Fleet scale").
 *
 * <p>The step time model: {@code stepTime + numTokens × tokenTime}, where {@code numTokens} is the
 * step's scheduled tokens (prefill chunks and one per decoding sequence). On a GPU a small decode
 * step is bound by reading the weights once (a fixed cost) and grows with the batch's tokens; e.g.
 * Minitron-8B on an H200 (docs/benchmarks/cuda.md): 5.06 ms at batch 1 and about 18.9 ms for a
 * 256-sequence decode step (13,555 tok/s), i.e. roughly {@code 5 ms + 0.055 ms × tokens}. The wait
 * is parked, not spun, so a simulated step costs no CPU; it never ends early.
 *
 * <p>Only {@code config.json} is read (the architecture sizes the KV budget the way the CPU backend
 * does, and the vocabulary bounds the token ids): the weights are never opened. No KV is written.
 * Each logits row is one-hot: the chosen token is a hash of the row's input token and position, so
 * greedy and sampled decoding alike pick it, a request gets the same tokens every time, and the
 * tokens vary and avoid BOS and EOS (answers run to {@code max_tokens}). Host sampling still scans a
 * {@code float[vocabSize]} row per sequence, cheap for the tiny checkpoints this is meant for.
 */
public final class SimulatedBackend implements Backend {

    /** Margin of the chosen token's logit over every other one: any temperature still picks it. */
    static final float CHOSEN_LOGIT = 100f;

    /**
     * How long a simulated step takes.
     *
     * @param stepTime  fixed cost of every step
     * @param tokenTime added per scheduled token of the step
     */
    public record StepTime(Duration stepTime, Duration tokenTime) {
        public static final StepTime DEFAULT = new StepTime(Duration.ofMillis(20), Duration.ZERO);

        public StepTime {
            if (stepTime.isNegative() || tokenTime.isNegative()) {
                throw new IllegalArgumentException("simulated step and token times must be ≥ 0, got "
                        + stepTime + " and " + tokenTime);
            }
        }

        /** Nanoseconds a step of {@code numTokens} tokens takes. */
        public long nanos(int numTokens) {
            return stepTime.toNanos() + numTokens * tokenTime.toNanos();
        }
    }

    private final ModelConfig config;
    private final StepTime stepTime;
    private boolean allocated;
    private long steps;

    public SimulatedBackend(ModelConfig config, StepTime stepTime) {
        if (config.vocabSize() < 3) {
            throw new IllegalArgumentException("the simulated device needs a vocabulary beyond BOS and EOS, got "
                    + config.vocabSize() + " tokens");
        }
        this.config = config;
        this.stepTime = stepTime;
    }

    /** Reads {@code checkpointDir/config.json}; nothing else of the checkpoint is touched. */
    public static SimulatedBackend load(Path checkpointDir, StepTime stepTime) {
        return new SimulatedBackend(ModelConfigs.read(checkpointDir.resolve(Checkpoint.CONFIG)), stepTime);
    }

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public ModelConfig modelConfig() {
        return config;
    }

    public StepTime stepTime() {
        return stepTime;
    }

    /** Steps run so far. */
    public long steps() {
        return steps;
    }

    /** What the CPU backend's fp32 cache would take, so the engine sizes the same number of blocks. */
    @Override
    public long kvBytesPerBlock(int blockSize) {
        return (long) config.numHiddenLayers() * 2 * blockSize * config.kvSize() * Float.BYTES;
    }

    @Override
    public void allocateKvCache(int numBlocks, int blockSize) {
        allocated = true;
    }

    @Override
    public float[][] forward(ForwardBatch batch) {
        if (!allocated) {
            throw new IllegalStateException("allocateKvCache must be called before forward");
        }
        long deadline = System.nanoTime() + stepTime.nanos(batch.numTokens());
        int[] rows = batch.logitsIndices();
        float[][] logits = new float[rows.length][config.vocabSize()];
        for (int i = 0; i < rows.length; i++) {
            int r = rows[i];
            logits[i][nextToken(batch.tokenIds()[r], batch.positions()[r])] = CHOSEN_LOGIT;
        }
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        steps++;
        return logits;
    }

    /** The token that follows {@code token} at {@code position}: a mix of both, never BOS or EOS. */
    int nextToken(int token, int position) {
        int vocab = config.vocabSize();
        long h = (token * 0x9E3779B97F4A7C15L) ^ (position * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        int id = (int) Math.floorMod(h, (long) vocab);
        while (id == config.bosTokenId() || id == config.eosTokenId()) {
            id = (id + 1) % vocab;
        }
        return id;
    }

    @Override
    public void close() {
        // nothing held
    }
}
