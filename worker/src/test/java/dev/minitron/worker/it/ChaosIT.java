package dev.minitron.worker.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.worker.bench.DeliveryBenchmarks;
import dev.minitron.worker.chaos.ChaosOptions;
import dev.minitron.worker.chaos.ChaosRun;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos suite (docs/reliability.md): real broker, real worker processes, a steady load, faults at
 * random times, then the independent checks. The defaults are the short CI run; {@code ./minitron
 * chaos} runs the long one with other {@code minitron.chaos.*} values and appends its report to a file.
 */
class ChaosIT {

    /** Both guarantees in turn; {@code -Dminitron.chaos.guarantee=…} ({@code ./minitron chaos --guarantee}) runs one. */
    @ParameterizedTest
    @ValueSource(strings = {"exactly-once", "at-least-once"})
    @Timeout(value = 2, unit = java.util.concurrent.TimeUnit.HOURS)
    void promptsSurviveRandomFaults(String guarantee) throws Exception {
        String only = System.getProperty("minitron.chaos.guarantee", "");
        Assumptions.assumeTrue(only.isBlank() || only.equals(guarantee), "this run is for " + only + " only");
        ChaosOptions options = ChaosOptions.fromSystemProperties(guarantee);
        Path dir = Path.of("target", "chaos", guarantee + "-seed-" + options.seed());
        dev.minitron.worker.chaos.ChaosResult result;
        try {
            result = new ChaosRun(options, dir).run();
        } catch (Exception | AssertionError e) {
            throw new AssertionError("chaos run with seed " + options.seed() + " failed before its verdict (replay: "
                    + "./minitron chaos --seed " + options.seed() + "); logs in " + dir.toAbsolutePath(), e);
        }
        String report = result.render(DeliveryBenchmarks.machine());
        Files.writeString(dir.resolve("report.md"), report, StandardCharsets.UTF_8);
        if (options.report().isPresent()) {
            Files.writeString(options.report().get(), report, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        }
        System.out.println(report);
        assertThat(result.breaches()).as("delivery contract breaches; report in " + dir.resolve("report.md")).isEmpty();
        assertThat(result.leaks()).as("text or secrets outside the output topics").isEmpty();
    }
}
