package dev.minitron.worker.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Records the Java AOT cache (JEP 483/514/515) a worker starts from, when there is none yet: the
 * Helm chart's init container runs it in the worker's own image, so the cache comes from the very
 * JVM and jar files it will be used with (a cache made elsewhere is refused: other file times, other
 * JDK build). The training run is a worker JVM with {@code -XX:AOTCacheOutput} that boots, runs the
 * synthetic warm-up ({@link EngineWarmUp}) and halts before any Kafka client starts
 * ({@code minitron.engine.warm-up.exit-after}, topics not verified): it loads and links the classes
 * a start needs and profiles the engine and the answer path, and reads or writes nothing in Kafka.
 * The cache is written under a temporary name and moved into place, so a pod never reads a partial
 * one, and pods that record at the same time each write a whole cache. Java 25 cannot read one cache
 * and record another in one run, and the image has no shell, hence this program. It never fails the
 * pod: without a cache the worker starts as it would have anyway.
 *
 * <pre>java -cp '/deployments/app/*:/deployments/lib/main/*' dev.minitron.worker.engine.AotCacheRecording
 *     CACHE_FILE [QUARKUS_RUN_JAR] [TIMEOUT_SECONDS]</pre>
 *
 * The worker's own settings (model path, engine) come from the environment, as for the worker.
 */
public final class AotCacheRecording {

    private AotCacheRecording() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: AotCacheRecording CACHE_FILE [QUARKUS_RUN_JAR] [TIMEOUT_SECONDS]");
            System.exit(2);
        }
        Path cache = Path.of(args[0]);
        Path jar = Path.of(args.length > 1 ? args[1] : "/deployments/quarkus-run.jar");
        long timeoutSeconds = args.length > 2 ? Long.parseLong(args[2]) : 600;
        if (Files.isRegularFile(cache)) {
            System.out.printf("AOT cache %s is there (%d MiB): nothing to record%n", cache, Files.size(cache) >> 20);
            return;
        }
        Files.createDirectories(cache.toAbsolutePath().getParent());
        Path partial = cache.resolveSibling(cache.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + System.nanoTime() + ".partial");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:AOTCacheOutput=" + partial,
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dminitron.engine.warm-up.enabled=true", "-Dminitron.engine.warm-up.exit-after=true",
                "-Dminitron.topics.verify=false", "-Dminitron.topics.create=false",
                "-jar", jar.toString()));
        long start = System.nanoTime();
        System.out.printf("recording the AOT cache %s: a worker JVM boots, warms up on synthetic requests and halts%n",
                cache);
        Process training = new ProcessBuilder(command).inheritIO().start();
        boolean ended = training.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!ended) {
            training.destroyForcibly().waitFor();
        }
        try {
            if (ended && training.exitValue() == 0 && Files.isRegularFile(partial) && Files.size(partial) > 0) {
                Files.move(partial, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                System.out.printf("AOT cache %s recorded in %.0f s (%d MiB)%n", cache, (System.nanoTime() - start) / 1e9,
                        Files.size(cache) >> 20);
            } else {
                System.out.printf("no AOT cache recorded (%s); the worker starts without one%n",
                        ended ? "the training run exited with " + training.exitValue() : "timed out after "
                                + timeoutSeconds + " s");
            }
        } catch (IOException e) {
            System.out.printf("no AOT cache recorded (%s); the worker starts without one%n", e);
        } finally {
            Files.deleteIfExists(partial);
        }
    }
}
