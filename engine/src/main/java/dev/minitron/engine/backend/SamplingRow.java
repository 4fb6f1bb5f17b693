package dev.minitron.engine.backend;

import dev.minitron.engine.sample.SamplingParams;

/**
 * One logits row's sampling work for a backend that samples on the device.
 *
 * @param params          the request's sampling parameters
 * @param uniform         a draw in [0, 1) from the request's own generator for this step (so a seeded
 *                        request's tokens depend on nothing but its seed and its logits)
 * @param history         the sequence's prompt and output tokens, prompt first (for penalties)
 * @param numPromptTokens how many of {@code history} are the prompt
 * @param historyLength   how many entries of {@code history} are valid
 */
public record SamplingRow(SamplingParams params, double uniform, int[] history, int numPromptTokens, int historyLength) {
}
