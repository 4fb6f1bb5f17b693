package dev.minitron.engine.backend;

/**
 * A backend that also samples on its device: only token ids (and requested logprobs) cross to the
 * host instead of vocabulary-sized logits rows.
 */
public interface DeviceSampling {

    /**
     * {@link Backend#forward} followed by sampling: {@code rows[i]} samples the logits of
     * {@code batch.logitsIndices()[i]}.
     */
    SampledTokens forwardAndSample(ForwardBatch batch, SamplingRow[] rows);

    /** False when this backend cannot sample on its device after all: the engine then samples on the host. */
    default boolean samplesOnDevice() {
        return true;
    }
}
