package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code helm lint --strict}: warnings fail, as in a chart repository's CI. */
class ChartLintTest {

    @Test
    void lintsWithTheShippedValues() {
        LintResult result = new Helm(Chart.DIR).lint().strict().call();

        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
        // values.yaml leaves the cluster-specific settings empty on purpose: Helm's lint then logs
        // the chart's own "… is required" message (an INFO), never a warning or a template crash
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }

    @Test
    void lintsEveryTemplateWhenTheRequiredValuesAreSet(@TempDir Path copy) throws IOException {
        copyChart(copy);
        Path values = copy.resolve("values.yaml");
        Files.writeString(values, Files.readString(values)
                .replace("bootstrapServers: \"\"", "bootstrapServers: kafka:9092")
                .replace("claimName: \"\"", "claimName: minitron-weights"));

        LintResult result = new Helm(copy).lint().strict().call();

        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")
                || m.contains("Missing required value"));
    }

    private static void copyChart(Path target) throws IOException {
        try (Stream<Path> files = Files.walk(Chart.DIR)) {
            for (Path source : files.toList()) {
                Path destination = target.resolve(Chart.DIR.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(source, destination);
                }
            }
        }
    }
}
