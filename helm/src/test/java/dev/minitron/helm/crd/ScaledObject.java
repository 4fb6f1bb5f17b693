package dev.minitron.helm.crd;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import java.util.List;
import java.util.Map;

/**
 * KEDA's {@code keda.sh/v1alpha1} ScaledObject, the fields of its API reference
 * (https://keda.sh/docs/2.18/reference/scaledobject-spec/) and nothing else, so a misspelled field
 * in the chart fails the strict parse. The HPA behavior is fabric8's own type.
 */
public record ScaledObject(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public record Spec(ScaleTargetRef scaleTargetRef, Integer pollingInterval, Integer cooldownPeriod,
            Integer initialCooldownPeriod, Integer idleReplicaCount, Integer minReplicaCount, Integer maxReplicaCount,
            Fallback fallback, Advanced advanced, List<Trigger> triggers) {
    }

    public record ScaleTargetRef(String apiVersion, String kind, String name, String envSourceContainerName) {
    }

    public record Fallback(Integer failureThreshold, Integer replicas) {
    }

    public record Advanced(Boolean restoreToOriginalReplicaCount, HpaConfig horizontalPodAutoscalerConfig) {
    }

    public record HpaConfig(String name, HorizontalPodAutoscalerBehavior behavior) {
    }

    /** Trigger metadata values are strings in KEDA's API: the tests check the raw YAML for that. */
    public record Trigger(String type, String name, Boolean useCachedMetrics, String metricType,
            Map<String, String> metadata, AuthenticationRef authenticationRef) {
    }

    public record AuthenticationRef(String name, String kind) {
    }
}
