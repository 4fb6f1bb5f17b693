package dev.minitron.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The minitron-fleet chart as the tests see it: rendered by Helm itself (helm-java embeds Helm 3,
 * no binary needed) with the least an install needs, where Kafka and the model are, plus each
 * test's own values. (helm-java has no --api-versions, so KEDA is chosen with autoscaling.engine.)
 */
final class Chart {

    static final Path DIR = Path.of(System.getProperty("minitron.chart.dir", "minitron-fleet")).toAbsolutePath();
    static final String RELEASE = "fleet";
    static final String NAMESPACE = "llm";
    static final String WORKER = "fleet-minitron-fleet-worker";
    /** Helm's offline default is v1.20; the chart needs ≥ 1.30 (native preStop sleep). */
    static final String KUBE_VERSION = "v1.33.0";
    static final String REQUIRED_VALUES = """
            kafka:
              bootstrapServers: kafka.llm.svc:9092
            model:
              pvc:
                claimName: minitron-weights
            """;

    private Chart() {
    }

    /** Renders with the required values plus {@code valuesYaml}, and parses every manifest strictly. */
    static Manifests render(String valuesYaml) {
        return Manifests.parse(template(REQUIRED_VALUES, valuesYaml));
    }

    static Manifests renderDefaults() {
        return render("{}");
    }

    /** Helm's output for these values files, in order (later ones win). Throws Helm's error. */
    static String template(String... valuesYamls) {
        TemplateCommand command = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        for (String values : valuesYamls) {
            command.withValuesFile(write(values));
        }
        return command.call();
    }

    /** NOTES.txt as {@code helm install} prints it (a client-only dry run: no cluster involved). */
    static String notes(String valuesYaml) {
        String output = new Helm(DIR).install().withName(RELEASE).withNamespace(NAMESPACE).withKubeVersion(KUBE_VERSION)
                .clientOnly().dryRun().withValuesFile(write(REQUIRED_VALUES)).withValuesFile(write(valuesYaml))
                .call().getOutput();
        return output.substring(output.indexOf("NOTES:"));
    }

    static String read(String relative) {
        try {
            return Files.readString(DIR.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(String values) {
        try {
            Path file = Files.createTempFile("values-", ".yaml");
            file.toFile().deleteOnExit();
            return Files.writeString(file, values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
