package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The worker Deployment with the default values: GPU placement, probes, drain, security, config. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // the default render is shared, read-only
class WorkerDeploymentTest {

    private final Manifests defaults = Chart.renderDefaults();
    private final WorkerPod pod = WorkerPod.of(defaults);

    @Test
    void defaultsRenderTheWorkerItsServiceAccountServicePdbAndTheHpaFallback() {
        assertThat(defaults.objects()).extracting(o -> o.getClass().getSimpleName()).containsExactlyInAnyOrder(
                "ServiceAccount", "Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                "NetworkPolicy");
        assertThat(defaults.worker().getMetadata().getName()).isEqualTo(Chart.WORKER);
    }

    @Test
    void asksForOneGpuOnGpuNodesWithTheNvidiaRuntime() {
        Container worker = pod.container();
        assertThat(worker.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(worker.getResources().getRequests()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(pod.spec().getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(pod.spec().getTolerations()).anySatisfy(t -> {
            assertThat(t.getKey()).isEqualTo("nvidia.com/gpu");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        assertThat(pod.spec().getRuntimeClassName()).isEqualTo("nvidia");
    }

    @Test
    void gpuResourceNameAndCountFollowTheValues() {
        Container worker = WorkerPod.of(Chart.render("""
                worker:
                  gpu: {count: 2, resourceName: nvidia.com/mig-3g.40gb}
                  runtimeClassName: ""
                """)).container();
        assertThat(worker.getResources().getLimits()).containsEntry("nvidia.com/mig-3g.40gb", new Quantity("2"))
                .doesNotContainKey("nvidia.com/gpu");
    }

    @Test
    void probesHitTheWorkersHealthEndpointsOnItsHttpPort() {
        Properties app = new Properties(WorkerSources.applicationProperties());
        int workerPort = Integer.parseInt(app.get("quarkus.http.port"));
        // the worker serves SmallRye Health at its default root, /q/health
        assertThat(WorkerSources.pom()).contains("<artifactId>quarkus-smallrye-health</artifactId>");
        assertThat(app.get("quarkus.smallrye-health.root-path")).isNull();
        assertThat(app.get("quarkus.http.non-application-root-path")).isNull();
        assertThat(app.get("quarkus.http.root-path")).isNull();

        assertThat(pod.containerPort("http")).isEqualTo(workerPort);
        assertThat(pod.envValue("QUARKUS_HTTP_PORT")).isEqualTo(String.valueOf(workerPort));
        Container worker = pod.container();
        assertHttpProbe(worker.getReadinessProbe(), "/q/health/ready");
        assertHttpProbe(worker.getLivenessProbe(), "/q/health/live");
        // started would be UP before the model is loaded; live needs the engine loop turning
        assertHttpProbe(worker.getStartupProbe(), "/q/health/live");
    }

    @Test
    void startupProbeWaitsLongEnoughToLoadSixteenGigabytes() {
        Probe startup = pod.container().getStartupProbe();
        long budget = (long) startup.getPeriodSeconds() * startup.getFailureThreshold();
        assertThat(Duration.ofSeconds(budget)).isGreaterThanOrEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void gracePeriodOutlastsThePreStopAndTheDrain() {
        assertGraceCoversDrain(pod);
        assertGraceCoversDrain(WorkerPod.of(Chart.render("worker: {shutdownGraceSeconds: 900, preStop: {sleepSeconds: 20}}")));
        assertThat(pod.spec().getTerminationGracePeriodSeconds()).isEqualTo(5 + 120 + 30L);
    }

    @Test
    void preStopSleepsBeforeSigtermStartsTheDrainAndZeroRemovesIt() {
        assertThat(pod.container().getLifecycle().getPreStop().getSleep().getSeconds()).isEqualTo(5L);
        WorkerPod noHook = WorkerPod.of(Chart.render("worker: {preStop: {sleepSeconds: 0}}"));
        assertThat(noHook.container().getLifecycle()).isNull();
        assertGraceCoversDrain(noHook);
    }

    @Test
    void aGracePeriodShorterThanTheDrainIsRefusedWithTheReason() {
        assertThatThrownBy(() -> Chart.render("worker: {shutdownGraceSeconds: 300, terminationGracePeriodSeconds: 60}"))
                .hasMessageContaining("worker.terminationGracePeriodSeconds=60 is too short")
                .hasMessageContaining("= 320");
        assertThat(WorkerPod.of(Chart.render("worker: {shutdownGraceSeconds: 300, terminationGracePeriodSeconds: 400}"))
                .spec().getTerminationGracePeriodSeconds()).isEqualTo(400L);
    }

    @Test
    void everyMinitronVariableIsARealWorkerSetting() {
        var known = WorkerSources.configEnvironmentVariables();
        List<String> minitron = pod.container().getEnv().stream().map(EnvVar::getName)
                .filter(n -> n.startsWith("MINITRON_")).toList();
        assertThat(minitron).hasSizeGreaterThan(15).allSatisfy(n -> assertThat(known).contains(n));
        assertThat(pod.envValue("MINITRON_MODEL_PATH")).isEqualTo("/models/Minitron-8B-Base");
        assertThat(pod.env("MINITRON_WORKER_ID").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(pod.envValue("MINITRON_CONSUMER_GROUP_ID")).isEqualTo("minitron-workers");
        assertThat(pod.envValue("MINITRON_TOPICS_PROMPTS")).isEqualTo("minitron.prompts");
        assertThat(pod.envValue("KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka.llm.svc:9092");
    }

    @Test
    void workersAnswerExactlyOnceByDefaultUnderTheirPodNamesTransactionalIds() {
        // The transactional id is <group>-<worker id>; the worker id is the pod name, so a restarted
        // container aborts its predecessor's open transaction as it starts.
        assertThat(pod.envValue("MINITRON_DELIVERY_GUARANTEE")).isEqualTo("exactly-once");
        assertThat(pod.envValue("MINITRON_DELIVERY_TRANSACTION_TIMEOUT")).isEqualTo("10s");
        assertThat(pod.env("MINITRON_WORKER_ID").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(WorkerPod.of(Chart.render("worker: {delivery: {guarantee: at-least-once}}"))
                .envValue("MINITRON_DELIVERY_GUARANTEE")).isEqualTo("at-least-once");
        assertThatThrownBy(() -> Chart.render("worker: {delivery: {guarantee: twice}}"))
                .hasMessageContaining("guarantee");
    }

    @Test
    void statusViewsRunInTheWorkerAdvertisingThePodIpWithTheirOwnStateVolume() {
        assertThat(pod.envValue("MINITRON_STATUS_ENABLED")).isEqualTo("true");
        assertThat(pod.env("MINITRON_STATUS_ADVERTISED_HOST").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("status.podIP");
        assertThat(pod.envValue("MINITRON_STATUS_STATE_DIR")).isEqualTo(mount("status-state").getMountPath());
        assertThat(volume("status-state").getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("4Gi"));
        assertThat(pod.envValue("MINITRON_STATUS_USAGE_TOPIC")).isEqualTo("minitron.usage");

        WorkerPod off = WorkerPod.of(Chart.render("status: {enabled: false}"));
        assertThat(off.envValue("MINITRON_STATUS_ENABLED")).isEqualTo("false");
        assertThat(off.findEnv("MINITRON_STATUS_ADVERTISED_HOST")).isEmpty();
        assertThat(off.spec().getVolumes()).noneMatch(v -> v.getName().equals("status-state"));
    }

    @Test
    void runsNonRootReadOnlyWithoutCapabilitiesOrApiToken() {
        var podSecurity = pod.spec().getSecurityContext();
        assertThat(podSecurity.getRunAsNonRoot()).isTrue();
        assertThat(podSecurity.getRunAsUser()).isPositive();
        assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var security = pod.container().getSecurityContext();
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getPrivileged()).isFalse();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.spec().getAutomountServiceAccountToken()).isFalse();
        assertThat(defaults.one(ServiceAccount.class).getAutomountServiceAccountToken()).isFalse();
        // service links would inject KAFKA_*_PORT variables, which the worker reads as Kafka settings
        assertThat(pod.spec().getEnableServiceLinks()).isFalse();
    }

    @Test
    void writableScratchIsTmpAndAMemoryBackedShm() {
        assertThat(mount("dshm").getMountPath()).isEqualTo("/dev/shm");
        assertThat(volume("dshm").getEmptyDir().getMedium()).isEqualTo("Memory");
        assertThat(volume("dshm").getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("2Gi"));
        assertThat(mount("tmp").getMountPath()).isEqualTo("/tmp");
        assertThat(mount("model").getReadOnly()).isTrue();
    }

    @Test
    void modelComesFromAReadOnlyClaimByDefault() {
        assertThat(volume("model").getPersistentVolumeClaim().getClaimName()).isEqualTo("minitron-weights");
        assertThat(volume("model").getPersistentVolumeClaim().getReadOnly()).isTrue();
        assertThat(pod.spec().getInitContainers()).isEmpty();
    }

    @Test
    void modelFromAHostPath() {
        WorkerPod host = WorkerPod.of(Chart.render("model: {source: hostPath, hostPath: {path: /mnt/nvme/models}}"));
        Volume model = host.spec().getVolumes().stream().filter(v -> v.getName().equals("model")).findFirst().orElseThrow();
        assertThat(model.getHostPath().getPath()).isEqualTo("/mnt/nvme/models");
        assertThat(model.getHostPath().getType()).isEqualTo("Directory");
    }

    @Test
    void modelCopiedFromAClaimToNodeLocalScratchByAnInitContainer() {
        WorkerPod copy = WorkerPod.of(Chart.render("model: {source: copy}"));
        Container init = copy.spec().getInitContainers().getFirst();
        assertThat(init.getImage()).isEqualTo("busybox:1.37.0");
        assertThat(init.getArgs().getFirst()).contains("cp -R").contains("Minitron-8B-Base");
        assertThat(init.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(copy.spec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("model");
            assertThat(v.getEmptyDir().getSizeLimit()).isEqualTo(new Quantity("40Gi"));
        });
        assertThat(copy.spec().getVolumes()).anySatisfy(v ->
                assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("minitron-weights"));
    }

    @Test
    void missingKafkaOrModelSettingsAreNamedInTheError() {
        assertThatThrownBy(() -> Chart.template("{}"))
                .hasMessageContaining("kafka.bootstrapServers is required");
        assertThatThrownBy(() -> Chart.template("kafka: {bootstrapServers: k:9092}"))
                .hasMessageContaining("model.pvc.claimName is required when model.source=pvc");
        assertThatThrownBy(() -> Chart.template(Chart.REQUIRED_VALUES, "model: {source: hostPath}"))
                .hasMessageContaining("model.hostPath.path is required");
    }

    @Test
    void imageIsPinnedToTheAppVersionOrADigest() {
        assertThat(pod.container().getImage()).isEqualTo("ghcr.io/minitron-fleet/minitron-worker:0.1.0");
        String digest = "sha256:" + "ab".repeat(32);
        assertThat(WorkerPod.of(Chart.render("image: {digest: \"" + digest + "\"}")).container().getImage())
                .isEqualTo("ghcr.io/minitron-fleet/minitron-worker@" + digest);
    }

    @Test
    void serviceExposesTheHttpPortTheProbesAndMetricsUse() {
        Service service = defaults.one(Service.class);
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
        });
        assertThat(service.getSpec().getSelector())
                .isEqualTo(defaults.worker().getSpec().getSelector().getMatchLabels());
    }

    @Test
    void autoscaledDeploymentLeavesReplicasToTheAutoscaler() {
        assertThat(defaults.worker().getSpec().getReplicas()).isNull();
        Manifests fixed = Chart.render("autoscaling: {enabled: false}\nworker: {replicaCount: 3}");
        assertThat(fixed.worker().getSpec().getReplicas()).isEqualTo(3);
        assertThat(fixed.find(HorizontalPodAutoscaler.class)).isEmpty();
    }

    @Test
    void updatesReplaceOneWorkerAtATimeWithoutASpareGpu() {
        Deployment worker = defaults.worker();
        assertThat(worker.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getIntVal()).isZero();
        assertThat(worker.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(defaults.one(PodDisruptionBudget.class).getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(defaults.find(ConfigMap.class)).isEmpty();
    }

    private void assertGraceCoversDrain(WorkerPod p) {
        long drain = Duration.parse("PT" + p.envValue("MINITRON_WORKER_SHUTDOWN_GRACE").toUpperCase()).toSeconds();
        var lifecycle = p.container().getLifecycle();
        long preStop = lifecycle == null ? 0 : lifecycle.getPreStop().getSleep().getSeconds();
        assertThat(p.spec().getTerminationGracePeriodSeconds()).isGreaterThan(preStop + drain + 15);
    }

    private static void assertHttpProbe(Probe probe, String path) {
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }

    private VolumeMount mount(String name) {
        return pod.container().getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    }

    private Volume volume(String name) {
        return pod.spec().getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    /** application.properties without profile keys ({@code %test.…}). */
    private record Properties(Map<String, String> values) {
        Properties(java.util.Properties source) {
            this(source.stringPropertyNames().stream().filter(k -> !k.startsWith("%"))
                    .collect(java.util.stream.Collectors.toMap(k -> k, source::getProperty)));
        }

        String get(String key) {
            return values.get(key);
        }
    }
}
