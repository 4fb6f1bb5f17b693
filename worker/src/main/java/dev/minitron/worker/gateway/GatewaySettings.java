package dev.minitron.worker.gateway;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a {@link Gateway} runs with: {@link GatewayConfig} and the worker keys it shares (the model's
 * name, the topics), resolved the same way inside a worker and in a gateway-only process.
 *
 * @param modelName the one model this fleet serves, as {@code /v1/models} lists it and requests name it
 * @param modelPath the checkpoint directory when this process can see it (only to look for a chat template)
 * @param allowUnauthenticated the development switch: without API keys every caller is {@code devTenant}
 * @param defaultTimeout a request's budget when the caller sends no {@link Gateway#TIMEOUT_HEADER}
 * @param maxOpenRequests requests this instance holds open at most; beyond it a caller gets 429
 * @param answerWindow how long finished answers are kept for retries with the same Idempotency-Key
 * @param answerCacheEntries the most answers kept (oldest forgotten first)
 */
public record GatewaySettings(
        String host,
        int port,
        String modelName,
        Optional<Path> modelPath,
        Optional<String> apiKeys,
        Optional<Path> apiKeysDir,
        boolean allowUnauthenticated,
        String devTenant,
        Duration defaultTimeout,
        int maxOpenRequests,
        Duration answerWindow,
        int answerCacheEntries,
        Topics topics) {

    /** The topics a gateway writes and reads (the worker's {@code minitron.topics.*} keys). */
    public record Topics(String prompts, String tokens, String completions, String errors, String cancels) {
        public static Topics defaults() {
            return new Topics("minitron.prompts", "minitron.tokens", "minitron.completions", "minitron.errors",
                    "minitron.cancels");
        }
    }

    /** From the gateway's keys, with the model and the topics read through {@code config} (the worker's keys). */
    public static GatewaySettings from(GatewayConfig g, Function<String, Optional<String>> config) {
        Optional<Path> modelPath = config.apply("minitron.model.path").map(Path::of);
        String modelName = g.modelName()
                .or(() -> config.apply("minitron.model.name"))
                .or(() -> modelPath.map(p -> p.toAbsolutePath().normalize().getFileName().toString()))
                .orElseThrow(() -> new IllegalStateException("the gateway needs the name of the model it serves: set "
                        + "minitron.model.name (or minitron.gateway.model-name, or minitron.model.path)"));
        Topics d = Topics.defaults();
        return new GatewaySettings(g.host(), g.port(), modelName, modelPath,
                g.apiKeys().filter(s -> !s.isBlank()), g.apiKeysDir(), g.allowUnauthenticated(), g.devTenant(),
                g.defaultTimeout(), g.maxOpenRequests(), g.answerWindow(), g.answerCacheEntries(),
                new Topics(
                        config.apply("minitron.topics.prompts").orElse(d.prompts()),
                        config.apply("minitron.topics.tokens").orElse(d.tokens()),
                        config.apply("minitron.topics.completions").orElse(d.completions()),
                        config.apply("minitron.topics.errors").orElse(d.errors()),
                        config.apply("minitron.topics.cancels").orElse(d.cancels())));
    }
}
