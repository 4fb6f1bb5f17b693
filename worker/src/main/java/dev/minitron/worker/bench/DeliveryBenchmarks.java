package dev.minitron.worker.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The Kafka delivery benchmarks (docs/benchmarks/kafka.md), each starting its own broker and worker
 * processes on this machine: {@code kafka-vs-direct}, {@code backlog}, {@code recovery},
 * {@code warm-up}. Prints the figures and appends them, with the machine's facts, to {@code --out}.
 *
 * <pre>./minitron bench-delivery kafka-vs-direct|backlog|recovery|fleet-scale|gateway|warm-up [--option value ...] [--out docs/benchmarks/kafka.md]</pre>
 */
public final class DeliveryBenchmarks {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: bench-delivery kafka-vs-direct|backlog|recovery|fleet-scale|gateway|warm-up [--option value ...] [--out FILE]");
            System.exit(2);
        }
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            opts.put(args[i].substring(2), args[i + 1]);
        }
        String machine = machine();
        String body = switch (args[0]) {
            case "kafka-vs-direct" -> KafkaVsDirectBenchmark.run(opts);
            case "backlog" -> BacklogBenchmark.run(opts);
            case "recovery" -> RecoveryBenchmark.run(opts);
            case "fleet-scale" -> FleetScaleBenchmark.run(opts);
            case "gateway" -> GatewayBenchmark.run(opts);
            case "warm-up" -> WarmUpBenchmark.run(opts);
            default -> throw new IllegalArgumentException("unknown benchmark " + args[0]);
        };
        String text = "## " + Instant.now().toString().substring(0, 19) + "Z — " + args[0] + "\n\n" + machine + "\n\n"
                + body + "\n";
        System.out.println(text);
        if (opts.containsKey("out")) {
            Path out = Path.of(opts.get("out"));
            if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
            Files.writeString(out, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        System.exit(0);
    }

    /** CPU model, cores, memory, Java, OS and the load when the run started (the machine is shared). */
    public static String machine() {
        String cpu = "unknown CPU";
        String mem = "?";
        String load = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
            mem = Files.readAllLines(Path.of("/proc/meminfo")).getFirst().replaceAll("[^0-9]", "");
            mem = Long.parseLong(mem) / 1024 / 1024 + " GiB";
            load = Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            // not Linux: leave the facts unknown
        }
        return "Machine: %s, %d cores, %s RAM, Java %s (%s), %s %s; load average at start: %s. Tiny random-weight preset, CPU backend unless the table says otherwise; broker, worker(s) and client on this one machine over loopback."
                .formatted(cpu, Runtime.getRuntime().availableProcessors(), mem, System.getProperty("java.version"),
                        System.getProperty("java.vm.name"), System.getProperty("os.name"), System.getProperty("os.arch"),
                        load);
    }

    private DeliveryBenchmarks() {
    }
}
