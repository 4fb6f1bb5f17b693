package dev.minitron.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.minitron.helm.crd.ScaledObject;
import dev.minitron.helm.crd.ServiceMonitor;
import dev.minitron.helm.crd.TriggerAuthentication;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Helm rendered, each document read into its typed model with {@link StrictYaml}: a field
 * Kubernetes (or KEDA, or the Prometheus Operator) does not know fails the parse. A kind the chart
 * is not expected to render fails too.
 */
record Manifests(String yaml, List<Object> objects) {

    /** apiVersion/kind → model. CRDs use the records in {@code crd/}, written from their API docs. */
    private static final Map<String, Class<?>> KINDS = Map.ofEntries(
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("keda.sh/v1alpha1/ScaledObject", ScaledObject.class),
            Map.entry("keda.sh/v1alpha1/TriggerAuthentication", TriggerAuthentication.class),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class));

    private static final ObjectMapper TREE = new ObjectMapper(new YAMLFactory());

    static Manifests parse(String yaml) {
        List<Object> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            JsonNode node = tree(document);
            if (node == null || node.isNull() || node.isMissingNode() || node.isEmpty()) {
                continue;
            }
            String key = node.path("apiVersion").asText() + "/" + node.path("kind").asText();
            Class<?> type = KINDS.get(key);
            if (type == null) {
                throw new AssertionError("unexpected manifest " + key + ":\n" + document);
            }
            try {
                objects.add(StrictYaml.MAPPER.readValue(document, type));
            } catch (IOException e) {
                throw new AssertionError(key + " does not parse strictly: " + e.getMessage() + "\n" + document, e);
            }
        }
        return new Manifests(yaml, objects);
    }

    <T> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T> Optional<T> find(Class<T> type) {
        List<T> found = all(type);
        if (found.size() > 1) {
            throw new AssertionError("more than one " + type.getSimpleName());
        }
        return found.stream().findFirst();
    }

    <T> T one(Class<T> type) {
        return find(type).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " rendered"));
    }

    Deployment worker() {
        return deployment(Chart.WORKER);
    }

    Deployment deployment(String name) {
        return all(Deployment.class).stream().filter(d -> d.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no Deployment " + name + " rendered"));
    }

    private static JsonNode tree(String document) {
        try {
            return TREE.readTree(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
