/**
 * Decoding untrusted prompt records: bytes in, a {@code PromptEvent} or a precise, stable error
 * out, never any other exception.
 */
package dev.minitron.schemas.decode;
