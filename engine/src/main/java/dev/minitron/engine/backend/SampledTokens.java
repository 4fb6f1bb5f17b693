package dev.minitron.engine.backend;

import dev.minitron.engine.sample.TokenLogprobs;

/**
 * What a device-sampling step returns: one token per row and, where the row asked for them, the
 * logprobs of the raw (unpenalized, temperature 1) distribution.
 *
 * @param tokens   [rows]
 * @param logprobs [rows], null entries for rows that asked for none
 */
public record SampledTokens(int[] tokens, TokenLogprobs[] logprobs) {
}
