/**
 * OpenTelemetry tracing of the worker: W3C context from the prompt's Kafka headers, a CONSUMER
 * span per prompt record, a GenAI span per request, sampled engine step spans linking to the
 * requests in their batch, and the request's context on every output record (docs/tracing.md).
 */
package dev.minitron.worker.tracing;
