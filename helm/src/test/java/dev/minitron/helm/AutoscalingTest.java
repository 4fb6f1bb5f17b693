package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.minitron.helm.crd.ScaledObject;
import dev.minitron.helm.crd.TriggerAuthentication;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingRules;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Scaling on the consumer group's lag: KEDA when present, a plain HPA otherwise, none when off. */
class AutoscalingTest {

    private static final String KEDA = "autoscaling: {engine: keda}\n";

    @Test
    void kedaScalesTheWorkerDeploymentOnTheWorkersGroupLagOfThePromptsTopic() {
        Manifests manifests = Chart.render(KEDA);
        ScaledObject.Spec spec = manifests.one(ScaledObject.class).spec();
        WorkerPod pod = WorkerPod.of(manifests);

        assertThat(spec.scaleTargetRef().kind()).isEqualTo("Deployment");
        assertThat(spec.scaleTargetRef().name()).isEqualTo(manifests.worker().getMetadata().getName());
        assertThat(spec.minReplicaCount()).isEqualTo(1);
        assertThat(spec.maxReplicaCount()).isEqualTo(8);
        ScaledObject.Trigger trigger = spec.triggers().getFirst();
        assertThat(trigger.type()).isEqualTo("kafka");
        // the scaler must watch exactly what the workers consume
        assertThat(trigger.metadata())
                .containsEntry("bootstrapServers", pod.envValue("KAFKA_BOOTSTRAP_SERVERS"))
                .containsEntry("consumerGroup", pod.envValue("MINITRON_CONSUMER_GROUP_ID"))
                .containsEntry("topic", pod.envValue("MINITRON_TOPICS_PROMPTS"))
                .containsEntry("lagThreshold", "64")
                .containsEntry("activationLagThreshold", "0")
                .containsEntry("offsetResetPolicy", "earliest")
                .containsEntry("allowIdleConsumers", "false");
        assertThat(trigger.authenticationRef()).isNull();
        assertThat(manifests.find(HorizontalPodAutoscaler.class)).isEmpty();
        assertThat(manifests.find(TriggerAuthentication.class)).isEmpty();
    }

    @Test
    void kedaTriggerMetadataValuesAreYamlStrings() throws Exception {
        String yaml = Chart.template(Chart.REQUIRED_VALUES, KEDA + "kafka: {sasl: {enabled: true, existingSecret: s}}");
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        for (String document : yaml.split("(?m)^---\\s*$")) {
            JsonNode node = mapper.readTree(document);
            if (node != null && "ScaledObject".equals(node.path("kind").asText())) {
                JsonNode metadata = node.at("/spec/triggers/0/metadata");
                assertThat(metadata.size()).isGreaterThan(5);
                metadata.properties().forEach(e -> assertThat(e.getValue().isTextual()).as(e.getKey()).isTrue());
                return;
            }
        }
        throw new AssertionError("no ScaledObject");
    }

    @Test
    void kedaAuthenticatesWithTheWorkersSecrets() {
        Manifests manifests = Chart.render(KEDA + KafkaConnectionTest.SCRAM_OVER_TLS);
        ScaledObject.Trigger trigger = manifests.one(ScaledObject.class).spec().triggers().getFirst();
        TriggerAuthentication auth = manifests.one(TriggerAuthentication.class);

        assertThat(trigger.metadata()).containsEntry("sasl", "scram_sha512").containsEntry("tls", "enable");
        assertThat(trigger.authenticationRef().name()).isEqualTo(auth.metadata().getName());
        assertThat(auth.spec().secretTargetRef()).containsExactly(
                new TriggerAuthentication.SecretTargetRef("username", "kafka-user", "username"),
                new TriggerAuthentication.SecretTargetRef("password", "kafka-user", "password"),
                new TriggerAuthentication.SecretTargetRef("ca", "kafka-ca", "ca.crt"));
    }

    @Test
    void kedaWithOauthNeedsTheOperatorsOwnTriggerAuthentication() {
        String oauth = """
                kafka:
                  sasl: {enabled: true, mechanism: OAUTHBEARER, existingSecret: o, oauthbearer: {tokenEndpointUrl: "https://idp/token"}}
                """;
        assertThatThrownBy(() -> Chart.render(KEDA + oauth))
                .hasMessageContaining("set autoscaling.keda.triggerAuthenticationName");
        Manifests manifests = Chart.render("autoscaling: {engine: keda, keda: {triggerAuthenticationName: kafka-oauth}}\n" + oauth);
        assertThat(manifests.one(ScaledObject.class).spec().triggers().getFirst().authenticationRef().name())
                .isEqualTo("kafka-oauth");
        assertThat(manifests.find(TriggerAuthentication.class)).isEmpty();
        assertThat(manifests.one(ScaledObject.class).spec().triggers().getFirst().metadata())
                .containsEntry("sasl", "oauthbearer");
    }

    @Test
    void withoutKedaTheHpaFallbackScalesOnTheExternalLagMetric() {
        Manifests manifests = Chart.renderDefaults(); // engine auto, and no keda.sh API in this render
        HorizontalPodAutoscaler hpa = manifests.one(HorizontalPodAutoscaler.class);

        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo(manifests.worker().getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(1);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(8);
        var external = hpa.getSpec().getMetrics().getFirst().getExternal();
        assertThat(external.getMetric().getName()).isEqualTo("kafka_consumergroup_lag");
        assertThat(external.getMetric().getSelector().getMatchLabels())
                .isEqualTo(Map.of("consumergroup", "minitron-workers", "topic", "minitron.prompts"));
        assertThat(external.getTarget().getAverageValue().toString()).isEqualTo("64");
        assertThat(manifests.find(ScaledObject.class)).isEmpty();
    }

    @Test
    void scaleDownRemovesOneWorkerPerDrainPeriodAfterTheStabilizationWindow() {
        HorizontalPodAutoscalerBehavior hpa = Chart.render("autoscaling: {engine: hpa}")
                .one(HorizontalPodAutoscaler.class).getSpec().getBehavior();
        HorizontalPodAutoscalerBehavior keda = Chart.render(KEDA).one(ScaledObject.class)
                .spec().advanced().horizontalPodAutoscalerConfig().behavior();
        for (HorizontalPodAutoscalerBehavior behavior : new HorizontalPodAutoscalerBehavior[] {hpa, keda}) {
            HPAScalingRules down = behavior.getScaleDown();
            assertThat(down.getStabilizationWindowSeconds()).isEqualTo(300);
            assertThat(down.getPolicies()).singleElement().satisfies(p -> {
                assertThat(p.getType()).isEqualTo("Pods");
                assertThat(p.getValue()).isEqualTo(1);
                assertThat(p.getPeriodSeconds()).isGreaterThanOrEqualTo(5 + 120); // preStop + drain
            });
            assertThat(behavior.getScaleUp().getStabilizationWindowSeconds()).isZero();
        }
    }

    @Test
    void customHpaMetricsReplaceTheDefault() {
        HorizontalPodAutoscaler hpa = Chart.render("""
                autoscaling:
                  engine: hpa
                  hpa:
                    metrics:
                      - type: Resource
                        resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
                """).one(HorizontalPodAutoscaler.class);
        assertThat(hpa.getSpec().getMetrics()).singleElement()
                .satisfies(m -> assertThat(m.getResource().getName()).isEqualTo("cpu"));
    }

    @Test
    void disabledRendersNoAutoscaler() {
        Manifests manifests = Chart.render("autoscaling: {enabled: false, engine: keda}");
        assertThat(manifests.find(HorizontalPodAutoscaler.class)).isEmpty();
        assertThat(manifests.find(ScaledObject.class)).isEmpty();
        assertThat(manifests.find(TriggerAuthentication.class)).isEmpty();
    }

    @Test
    void minAboveMaxIsRefused() {
        assertThatThrownBy(() -> Chart.render("autoscaling: {minReplicas: 9, maxReplicas: 4}"))
                .hasMessageContaining("autoscaling.minReplicas (9) exceeds autoscaling.maxReplicas (4)");
    }

    @Test
    void notesExplainThePartitionCeilingAndHowToSendAFirstPrompt() {
        String notes = Chart.notes("topics: {create: true, partitions: 4}\nautoscaling: {maxReplicas: 6}");
        assertThat(notes)
                .contains("Workers beyond the partition count of \"minitron.prompts\" get no partition and idle")
                .contains("WARNING: maxReplicas 6 > 4 partitions")
                .contains("kcat -P -b kafka.llm.svc:9092 -t minitron.prompts")
                .contains("kubectl -n llm rollout status deployment/" + Chart.WORKER)
                .contains("/q/health/ready");
        assertThat(Chart.notes("{}")).doesNotContain("WARNING");
    }
}
