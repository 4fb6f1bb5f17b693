package dev.minitron.worker.gateway;

import dev.minitron.worker.tracing.Telemetry;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * The gateway inside a worker process ({@code minitron.gateway.enabled=true}): the demo and small
 * deployments run one process that both generates and takes HTTP callers. It shares the worker's
 * Vert.x, metrics registry and tracer; its port is its own. A fleet runs gateways apart from its
 * GPU workers instead ({@link GatewayMain}), scaled on their own.
 */
@ApplicationScoped
public class WorkerGateway {

    private static final Logger LOG = Logger.getLogger(WorkerGateway.class);

    private final GatewayConfig gatewayConfig;
    private final Config config;
    private final Map<String, Object> kafka;
    private final MeterRegistry registry;
    private final Telemetry telemetry;
    private final Vertx vertx;
    private volatile Gateway gateway;

    @Inject
    public WorkerGateway(GatewayConfig gatewayConfig, Config config, @Identifier("default-kafka-broker") Map<String, Object> kafka,
            MeterRegistry registry, Telemetry telemetry, Vertx vertx) {
        this.gatewayConfig = gatewayConfig;
        this.config = config;
        this.kafka = kafka;
        this.registry = registry;
        this.telemetry = telemetry;
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) throws Exception {
        if (!gatewayConfig.enabled()) {
            return;
        }
        Gateway g = new Gateway(GatewaySettings.from(gatewayConfig, key -> config.getOptionalValue(key, String.class)),
                GatewayMain.clientSettings(kafka), registry, telemetry.tracer(), vertx);
        g.start();
        gateway = g;
    }

    void onStop(@Observes ShutdownEvent event) {
        Gateway g = gateway;
        if (g != null) {
            try {
                g.close();
            } catch (Exception e) {
                LOG.warnf("gateway: did not stop cleanly: %s", e.getMessage());
            }
        }
    }
}
