package dev.minitron.worker.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code minitron.gateway.*}: the OpenAI-compatible front door (docs/gateway.md). */
@ConfigMapping(prefix = "minitron.gateway")
public interface GatewayConfig {

    /** Runs the gateway in this worker process, on its own port. */
    @WithDefault("false")
    boolean enabled();

    @WithDefault("0.0.0.0")
    String host();

    /** The gateway's HTTP port (vLLM's default); the worker's own port keeps status and metrics. */
    @WithDefault("8000")
    int port();

    /** The model name callers use; default {@code minitron.model.name}, else the checkpoint directory's name. */
    Optional<String> modelName();

    /** API keys inline, {@code tenant=key,tenant2=key2} (e.g. from a Secret through an environment variable). */
    Optional<String> apiKeys();

    /** A mounted Secret: one file per tenant, named after it, holding its keys one per line. */
    Optional<Path> apiKeysDir();

    /** Development only: without API keys, admit every caller as {@code dev-tenant} (else the gateway refuses to start). */
    @WithDefault("false")
    boolean allowUnauthenticated();

    @WithDefault("default")
    String devTenant();

    /** A request's budget when it sends no {@code X-Request-Timeout-Ms}. */
    @WithDefault("5m")
    Duration defaultTimeout();

    /** Open requests per gateway instance; beyond it callers get 429. */
    @WithDefault("1024")
    int maxOpenRequests();

    /** How long answers are kept for a POST retried with the same Idempotency-Key (match the workers' idempotency window). */
    @WithDefault("10m")
    Duration answerWindow();

    @WithDefault("10000")
    int answerCacheEntries();
}
