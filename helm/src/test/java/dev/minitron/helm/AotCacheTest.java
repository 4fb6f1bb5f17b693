package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * worker.aotCache: an init container of the worker's own image, resources and JVM options records the
 * cache into a volume that outlives the pod, and the worker starts from the same file; off (the
 * default), nothing of it is rendered.
 */
class AotCacheTest {

    private static final String ON = """
            worker:
              aotCache:
                enabled: true
                volume: {persistentVolumeClaim: {claimName: minitron-aot}}
              resources: {limits: {memory: 24Gi}}
            """;

    @Test
    void theInitContainerRecordsIntoTheVolumeTheWorkerStartsFrom() {
        WorkerPod pod = WorkerPod.of(Chart.render(ON));
        Container init = pod.spec().getInitContainers().stream().filter(c -> c.getName().equals("record-aot-cache"))
                .findFirst().orElseThrow();
        Container worker = pod.container();

        List<String> command = init.getCommand();
        assertThat(command.subList(0, 4)).containsExactly("/opt/java/bin/java", "-cp",
                "/deployments/app/*:/deployments/lib/main/*", "dev.minitron.worker.engine.AotCacheRecording");
        String cache = command.get(4);
        assertThat(cache).matches("/var/cache/minitron/aot/worker-[0-9a-f]{16}\\.aot");
        assertThat(command.subList(5, 7)).containsExactly("/deployments/quarkus-run.jar", "600");

        assertThat(init.getImage()).isEqualTo(worker.getImage());
        assertThat(init.getResources()).isEqualTo(worker.getResources());
        assertThat(env(init, "JDK_JAVA_OPTIONS")).as("the JVM options the cache is recorded with")
                .isEqualTo("-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError");
        assertThat(pod.envValue("JDK_JAVA_OPTIONS")).as("the worker starts from the recorded file")
                .isEqualTo("-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError -XX:AOTCache=" + cache);
        assertThat(env(init, "MINITRON_MODEL_PATH")).isEqualTo(pod.envValue("MINITRON_MODEL_PATH"));
        assertThat(env(init, "MINITRON_ENGINE_DEVICE")).isEqualTo(pod.envValue("MINITRON_ENGINE_DEVICE"));
        assertThat(init.getEnv()).extracting(EnvVar::getName).as("the training run never reaches Kafka")
                .noneMatch(name -> name.startsWith("KAFKA_"));

        assertThat(mount(init, "aot-cache").getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(mount(worker, "aot-cache").getReadOnly()).isTrue();
        assertThat(mount(worker, "aot-cache").getMountPath()).isEqualTo("/var/cache/minitron/aot");
        Volume volume = pod.spec().getVolumes().stream().filter(v -> v.getName().equals("aot-cache")).findFirst()
                .orElseThrow();
        assertThat(volume.getPersistentVolumeClaim().getClaimName()).isEqualTo("minitron-aot");
    }

    @Test
    void anotherImageOrOtherJvmOptionsGetTheirOwnCacheFile() {
        String cache = cacheFile(Chart.render(ON));
        assertThat(cacheFile(Chart.render(ON + "image: {tag: 0.2.0}\n"))).isNotEqualTo(cache);
        assertThat(cacheFile(Chart.render(ON.replace("aotCache:", "javaOptions: \"-Xmx8g\"\n  aotCache:"))))
                .isNotEqualTo(cache);
        assertThat(cacheFile(Chart.render(ON))).isEqualTo(cache);
    }

    @Test
    void aModelCopiedToTheNodeIsCopiedBeforeTheRecordingReadsIt() {
        WorkerPod pod = WorkerPod.of(Chart.render(ON + "model: {source: copy}\n"));
        assertThat(pod.spec().getInitContainers()).extracting(Container::getName)
                .containsExactly("copy-model", "record-aot-cache");
    }

    @Test
    void offByDefaultAndAVolumeIsRequiredWhenOn() {
        WorkerPod pod = WorkerPod.of(Chart.renderDefaults());
        assertThat(pod.spec().getInitContainers()).isEmpty();
        assertThat(pod.envValue("JDK_JAVA_OPTIONS")).doesNotContain("AOTCache");
        assertThat(pod.spec().getVolumes()).extracting(Volume::getName).doesNotContain("aot-cache");

        assertThatThrownBy(() -> Chart.render("worker: {aotCache: {enabled: true}}"))
                .hasMessageContaining("worker.aotCache.volume is required");
    }

    private static String cacheFile(Manifests manifests) {
        String options = WorkerPod.of(manifests).envValue("JDK_JAVA_OPTIONS");
        return options.substring(options.indexOf("-XX:AOTCache=") + "-XX:AOTCache=".length());
    }

    private static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name)).getValue();
    }

    private static VolumeMount mount(Container c, String name) {
        return c.getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " does not mount " + name));
    }
}
