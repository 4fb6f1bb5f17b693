package dev.minitron.engine.sample;

/**
 * Log-probabilities (of the raw model distribution) for one sampled position.
 *
 * @param topTokenIds [n] the n most likely tokens, most likely first
 * @param topLogprobs [n] their log-probabilities
 */
public record TokenLogprobs(int tokenId, float logprob, int[] topTokenIds, float[] topLogprobs) {
}
