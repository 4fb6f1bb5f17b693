package dev.minitron.helm.crd;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;

/**
 * The Prometheus Operator's {@code monitoring.coreos.com/v1} ServiceMonitor, the fields the chart
 * may use (https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor).
 */
public record ServiceMonitor(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {

    public record Spec(String jobLabel, LabelSelector selector, NamespaceSelector namespaceSelector,
            List<Endpoint> endpoints) {
    }

    public record NamespaceSelector(Boolean any, List<String> matchNames) {
    }

    public record Endpoint(String port, String path, String scheme, String interval, String scrapeTimeout) {
    }
}
