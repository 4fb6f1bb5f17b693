package dev.minitron.worker.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What one chaos run does, read from {@code minitron.chaos.*} system properties (so the same test is
 * the short CI run and, with other values, the long documented one; {@code ./minitron chaos} sets them).
 *
 * @param duration         how long the load runs (faults are injected during it, never during the drain)
 * @param workers          worker processes (slots; a killed worker's slot is restarted, as Kubernetes would)
 * @param seed             the random choices (fault kinds, times, victims, prompts): a run repeats from it
 * @param rate             prompt records per second, steady
 * @param faults           the fault kinds to draw from; empty: a load run without faults
 * @param faultEvery       mean time between fault starts (exponential)
 * @param kvCacheBytes     each worker's KV budget: small, so long prompts fill it and preemptions happen
 * @param stepFailureRate  engine fault injection on every worker: a step fails with this probability
 * @param deathRate        and the engine dies (a lost device) with this probability per step
 * @param sampleEvery      how often each worker's memory, KV and lag are sampled
 * @param report           a file the report is appended to (besides target/chaos/), if set
 * @param guarantee        the workers' {@code minitron.delivery.guarantee}; exactly-once is judged by a
 *                         read_committed checker that allows no second visible answer at all
 */
public record ChaosOptions(Duration duration, int workers, long seed, double rate, Set<Fault> faults,
        Duration faultEvery, long kvCacheBytes, double stepFailureRate, double deathRate, Duration sampleEvery,
        Optional<Path> report, String guarantee) {

    /** The options of the system properties, for the guarantee named there or else {@code fallbackGuarantee}. */
    public static ChaosOptions fromSystemProperties(String fallbackGuarantee) {
        String faults = property("faults", "kill,term,stop,broker,stall,cut,partition");
        Set<Fault> set = EnumSet.noneOf(Fault.class);
        if (!faults.isBlank() && !faults.equals("none")) {
            Arrays.stream(faults.split(",")).map(String::trim).map(Fault::parse).forEach(set::add);
        }
        return new ChaosOptions(
                Duration.parse("PT" + property("duration", "60s").toUpperCase(Locale.ROOT)),
                Integer.parseInt(property("workers", "3")),
                Long.parseLong(property("seed", Long.toString(System.currentTimeMillis() % 100_000))),
                Double.parseDouble(property("rate", "4")),
                set,
                Duration.parse("PT" + property("fault-every", "12s").toUpperCase(Locale.ROOT)),
                Long.parseLong(property("kv-cache-bytes", Long.toString(96 * 8192))),
                Double.parseDouble(property("step-failure-rate", "0.0005")),
                Double.parseDouble(property("death-rate", "0.00002")),
                Duration.parse("PT" + property("sample-every", "10s").toUpperCase(Locale.ROOT)),
                Optional.ofNullable(System.getProperty("minitron.chaos.report")).filter(s -> !s.isBlank()).map(Path::of),
                property("guarantee", fallbackGuarantee));
    }

    public boolean exactlyOnce() {
        return guarantee.equals("exactly-once");
    }

    private static String property(String name, String fallback) {
        return System.getProperty("minitron.chaos." + name, fallback);
    }

    public String describe() {
        return ("%s, duration %s, %d workers, seed %d, %.1f prompts/s, faults %s every ~%ss, KV %d KiB per worker, "
                + "engine step failures %.4f%%, engine deaths %.4f%% of steps")
                .formatted(guarantee, duration.toString().substring(2).toLowerCase(Locale.ROOT), workers, seed, rate,
                        faults.isEmpty() ? "none" : faults.stream().map(Fault::label).toList(), faultEvery.toSeconds(),
                        kvCacheBytes / 1024, stepFailureRate * 100, deathRate * 100);
    }
}
