package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The OpenAI gateway: its own Deployment, Service and autoscaler, and the workers' NetworkPolicy. */
class GatewayChartTest {

    private static final String GATEWAY = "fleet-minitron-fleet-gateway";
    private static final String ON = "gateway: {enabled: true, apiKeys: {existingSecret: fleet-api-keys}}";

    @Test
    void theGatewayIsItsOwnDeploymentWithoutModelOrGpu() {
        Manifests manifests = Chart.render(ON);
        Deployment gateway = manifests.deployment(GATEWAY);
        Container c = gateway.getSpec().getTemplate().getSpec().getContainers().getFirst();

        assertThat(c.getImage()).isEqualTo(manifests.worker().getSpec().getTemplate().getSpec().getContainers().getFirst().getImage());
        assertThat(c.getCommand()).last().isEqualTo("dev.minitron.worker.gateway.GatewayMain");
        assertThat(c.getResources().getLimits()).doesNotContainKey("nvidia.com/gpu");
        assertThat(c.getResources().getRequests()).doesNotContainKey("nvidia.com/gpu");
        assertThat(env(c, "MINITRON_GATEWAY_MODEL_NAME")).isEqualTo("Minitron-8B-Base");
        assertThat(env(c, "MINITRON_GATEWAY_API_KEYS_DIR")).isEqualTo("/etc/minitron/api-keys");
        assertThat(env(c, "KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka.llm.svc:9092");
        assertThat(gateway.getSpec().getTemplate().getSpec().getVolumes())
                .anySatisfy(v -> assertThat(v.getSecret()).isNotNull()
                        .satisfies(secret -> assertThat(secret.getSecretName()).isEqualTo("fleet-api-keys")));
        assertThat(gateway.getSpec().getTemplate().getSpec().getVolumes()).noneSatisfy(v ->
                assertThat(v.getName()).isEqualTo("model"));
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(gateway.getSpec().getSelector().getMatchLabels())
                .isNotEqualTo(manifests.worker().getSpec().getSelector().getMatchLabels());
    }

    @Test
    void itHasAServiceAndScalesOnCpuApartFromTheWorkers() {
        Manifests manifests = Chart.render(ON);
        Service service = manifests.all(Service.class).stream()
                .filter(s -> s.getMetadata().getName().equals(GATEWAY)).findFirst().orElseThrow();
        assertThat(service.getSpec().getPorts().getFirst().getPort()).isEqualTo(8000);
        assertThat(service.getSpec().getSelector())
                .isEqualTo(manifests.deployment(GATEWAY).getSpec().getSelector().getMatchLabels());
        HorizontalPodAutoscaler hpa = manifests.all(HorizontalPodAutoscaler.class).stream()
                .filter(h -> h.getSpec().getScaleTargetRef().getName().equals(GATEWAY)).findFirst().orElseThrow();
        assertThat(hpa.getSpec().getMetrics().getFirst().getResource().getName()).isEqualTo("cpu");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
    }

    @Test
    void itNeedsItsApiKeysAndIsOffByDefault() {
        assertThatThrownBy(() -> Chart.render("gateway: {enabled: true}"))
                .hasMessageContaining("gateway.apiKeys.existingSecret is required");
        Manifests defaults = Chart.renderDefaults();
        assertThat(defaults.all(Deployment.class)).hasSize(1);
    }

    @Test
    void theWorkersHttpPortAdmitsOnlyTheGatewayTheWorkersAndPrometheus() {
        Manifests manifests = Chart.render(ON);
        NetworkPolicy policy = manifests.one(NetworkPolicy.class);
        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .isEqualTo(manifests.worker().getSpec().getSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress");
        var rule = policy.getSpec().getIngress().getFirst();
        assertThat(policy.getSpec().getIngress()).hasSize(1);
        assertThat(rule.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getStrVal()).isEqualTo("http"));
        assertThat(rule.getFrom()).hasSize(3);
        assertThat(rule.getFrom().get(0).getPodSelector().getMatchLabels())
                .isEqualTo(manifests.deployment(GATEWAY).getSpec().getSelector().getMatchLabels());
        assertThat(rule.getFrom().get(1).getPodSelector().getMatchLabels())
                .isEqualTo(manifests.worker().getSpec().getSelector().getMatchLabels());
        assertThat(rule.getFrom().get(2).getPodSelector().getMatchLabels())
                .isEqualTo(Map.of("app.kubernetes.io/name", "prometheus"));
        assertThat(Chart.render("networkPolicy: {enabled: false}").find(NetworkPolicy.class)).isEmpty();
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }
}
