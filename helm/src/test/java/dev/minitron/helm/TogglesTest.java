package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.helm.crd.ServiceMonitor;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;

/** Every optional part: on, it renders what it promises; off, it renders nothing. */
class TogglesTest {

    @Test
    void podDisruptionBudgetSelectsTheWorkersAndCanBeTurnedOff() {
        Manifests manifests = Chart.renderDefaults();
        assertThat(manifests.one(PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels())
                .isEqualTo(manifests.worker().getSpec().getSelector().getMatchLabels());
        assertThat(Chart.render("pdb: {enabled: false}").find(PodDisruptionBudget.class)).isEmpty();
    }

    @Test
    void serviceMonitorScrapesTheMetricsPathOnTheServicesHttpPort() {
        Manifests manifests = Chart.render("metrics: {serviceMonitor: {enabled: true, labels: {release: prom}}}");
        ServiceMonitor monitor = manifests.one(ServiceMonitor.class);
        Service service = manifests.one(Service.class);

        assertThat(monitor.metadata().getLabels()).containsEntry("release", "prom");
        assertThat(monitor.spec().selector().getMatchLabels()).isEqualTo(service.getSpec().getSelector());
        assertThat(service.getMetadata().getLabels()).containsAllEntriesOf(monitor.spec().selector().getMatchLabels());
        assertThat(monitor.spec().namespaceSelector().matchNames()).containsExactly(Chart.NAMESPACE);
        assertThat(monitor.spec().endpoints()).singleElement().satisfies(e -> {
            assertThat(e.port()).isEqualTo(service.getSpec().getPorts().getFirst().getName());
            assertThat(e.path()).isEqualTo("/q/metrics");
            assertThat(e.interval()).isEqualTo("30s");
        });
        assertThat(Chart.renderDefaults().find(ServiceMonitor.class)).isEmpty();
    }

    @Test
    void topicJobCreatesTheFiveTopicsWithCompactedCompletionsAndTheWorkersSecurity() {
        Manifests manifests = Chart.render("""
                topics: {create: true, helmHook: false, partitions: 12, replicationFactor: 3}
                kafka:
                  sasl: {enabled: true, existingSecret: kafka-user}
                  tls: {enabled: true, existingSecret: kafka-ca}
                  topics: {completions: acme.completions}
                """);
        Job job = manifests.one(Job.class);
        var container = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
        String script = container.getArgs().getFirst();

        assertThat(container.getImage()).isEqualTo("apache/kafka:4.1.1");
        assertThat(script).contains("--partitions 12 --replication-factor 3", "--if-not-exists")
                .contains("create \"minitron.prompts\"\n", "create \"minitron.tokens\" --config retention.ms=3600000")
                .contains("create \"acme.completions\" --config cleanup.policy=compact --config \"min.compaction.lag.ms=3600000\"")
                .contains("create \"minitron.errors\"", "create \"minitron.cancels\"", "create \"minitron.usage\"");
        WorkerPod worker = WorkerPod.of(manifests);
        for (String name : new String[] {"KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_JAAS_CONFIG",
                "KAFKA_SSL_TRUSTSTORE_LOCATION"}) {
            assertThat(container.getEnv()).filteredOn(e -> e.getName().equals(name)).extracting(EnvVar::getValue)
                    .containsExactly(worker.envValue(name));
        }
        assertThat(job.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(job.getMetadata().getAnnotations()).isNullOrEmpty();
        assertThat(Chart.renderDefaults().find(Job.class)).isEmpty();
    }

    @Test
    void grafanaDashboardIsValidJsonForTheSidecar() throws Exception {
        ConfigMap dashboard = Chart.render("grafana: {dashboard: {enabled: true}}").one(ConfigMap.class);
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("minitron-fleet.json"));
        assertThat(json.path("title").asText()).isEqualTo("Minitron Fleet");
        assertThat(json.path("panels").size()).isGreaterThan(3);
        assertThat(Chart.renderDefaults().find(ConfigMap.class)).isEmpty();
    }

    /** The worker's serving metrics (docs/metrics.md) by their exported names: requests, latency, KV, lag, errors. */
    @Test
    void grafanaDashboardChartsTheWorkersServingMetrics() throws Exception {
        ConfigMap dashboard = Chart.render("grafana: {dashboard: {enabled: true}}").one(ConfigMap.class);
        JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("minitron-fleet.json"));
        StringBuilder queries = new StringBuilder();
        json.path("panels").forEach(p -> p.path("targets").forEach(t -> queries.append(t.path("expr").asText()).append('\n')));
        assertThat(queries.toString()).contains(
                "minitron:num_requests_running", "minitron:num_requests_waiting", "minitron:request_success_total",
                "minitron:generation_tokens_total", "minitron:time_to_first_token_seconds_bucket",
                "minitron:inter_token_latency_seconds_bucket", "minitron:e2e_request_latency_seconds_bucket",
                "minitron:kv_cache_usage_perc", "minitron:kafka_consumer_lag", "minitron:num_preemptions_total",
                "minitron:error_events_total");
        assertThat(queries.toString()).contains("histogram_quantile(0.99");
    }

    @Test
    void otelExportsToTheConfiguredCollectorOrIsSwitchedOff() {
        WorkerPod traced = WorkerPod.of(Chart.render("otel: {enabled: true, endpoint: \"http://otel:4318\", samplerRatio: 0.25}"));
        assertThat(traced.envValue("MINITRON_TRACING_OTLP_ENDPOINT")).isEqualTo("http://otel:4318");
        assertThat(traced.envValue("MINITRON_TRACING_SAMPLE_RATIO")).isEqualTo("0.25");
        assertThat(traced.envValue("OTEL_RESOURCE_ATTRIBUTES")).contains("k8s.namespace.name=");
        WorkerPod untraced = WorkerPod.of(Chart.renderDefaults());
        assertThat(untraced.findEnv("MINITRON_TRACING_OTLP_ENDPOINT")).isEmpty();
    }

    @Test
    void anExistingServiceAccountIsUsedWithoutCreatingOne() {
        Manifests manifests = Chart.render("serviceAccount: {create: false, name: gpu-workers}");
        assertThat(manifests.find(ServiceAccount.class)).isEmpty();
        assertThat(WorkerPod.of(manifests).spec().getServiceAccountName()).isEqualTo("gpu-workers");
    }

    @Test
    void everythingOptionalOffLeavesTheWorkerItsServiceAndNothingElse() {
        Manifests minimal = Chart.render("""
                serviceAccount: {create: false}
                autoscaling: {enabled: false}
                pdb: {enabled: false}
                networkPolicy: {enabled: false}
                """);
        assertThat(minimal.objects()).extracting(o -> o.getClass().getSimpleName())
                .containsExactlyInAnyOrder("Deployment", "Service");
    }
}
