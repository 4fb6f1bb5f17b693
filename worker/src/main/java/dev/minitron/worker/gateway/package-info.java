/**
 * The OpenAI-compatible HTTP front door (docs/gateway.md): {@code POST /v1/completions} and
 * {@code GET /v1/models}, each request one prompt event on the prompts topic, its answer read back
 * from the output topics. It runs inside a worker ({@code minitron.gateway.enabled=true}) or on its
 * own without a model ({@link dev.minitron.worker.gateway.GatewayMain}); both host the same
 * {@link dev.minitron.worker.gateway.Gateway}.
 */
package dev.minitron.worker.gateway;
