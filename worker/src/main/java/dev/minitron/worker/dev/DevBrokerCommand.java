package dev.minitron.worker.dev;

import dev.minitron.worker.cli.Args;
import dev.minitron.worker.cli.UsageException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The dev broker as a foreground program: start, create the topics, print {@code READY
 * bootstrap=...} on stdout, and stop the broker on SIGTERM or Ctrl-C.
 */
final class DevBrokerCommand {

    static final String USAGE = """
            usage: DevBroker [--data DIR] [--port 9092] [--controller-port PORT] [--log FILE]
                             [--classpath-file FILE] [--partitions 4] [--no-topics] [--ready-timeout 60s]

            Runs a single-node Apache Kafka (KRaft broker+controller) for development in a child JVM.
            Its log goes to FILE (default DIR/broker.log), never to this terminal. Prints
            'READY bootstrap=localhost:PORT' once clients can use it; Ctrl-C or SIGTERM stops it.
              --data DIR             data directory, formatted on first use (default target/demo/kafka)
              --port PORT            PLAINTEXT listener; 0 picks a free port (default 9092)
              --controller-port P    KRaft controller listener (default PORT+1, or free when PORT is 0)
              --classpath-file FILE  the broker's classpath (default worker/target/dev.classpath)
              --partitions N         partitions of the minitron.* topics it creates (default 4)
            """;

    private final PrintStream out;
    private final PrintStream err;

    DevBrokerCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] argv) {
        Args args;
        DevBroker.Options options;
        int partitions;
        Duration readyTimeout;
        try {
            args = Args.parse(List.of(argv),
                    Set.of("--data", "--port", "--controller-port", "--log", "--classpath-file",
                            "--partitions", "--ready-timeout"),
                    Set.of("--no-topics", "--help"));
            if (args.flag("--help")) {
                out.print(USAGE);
                return 0;
            }
            if (!args.positional().isEmpty()) {
                throw new UsageException("unexpected argument " + args.positional().getFirst());
            }
            int port = args.integer("--port", 9092);
            int controllerPort = args.integer("--controller-port", port == 0 ? 0 : port + 1);
            Path dataDir = Path.of(args.get("--data", "target/demo/kafka"));
            options = new DevBroker.Options(dataDir, port, controllerPort,
                    args.get("--classpath-file").map(Path::of).orElse(DevBroker.defaultClasspathFile()),
                    args.get("--log").map(Path::of).orElse(null));
            partitions = args.integer("--partitions", TopicSetup.DEFAULT_PARTITIONS);
            readyTimeout = args.duration("--ready-timeout", Duration.ofSeconds(60));
        } catch (UsageException | IllegalArgumentException e) {
            err.println("DevBroker: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        return serve(options, args.flag("--no-topics") ? 0 : partitions, readyTimeout);
    }

    private int serve(DevBroker.Options options, int partitions, Duration readyTimeout) {
        long started = System.nanoTime();
        DevBroker broker;
        try {
            broker = DevBroker.start(options);
        } catch (DevBrokerException e) {
            err.println(e.getMessage());
            return 1;
        }
        Thread stopper = new Thread(() -> {
            broker.close();
            err.println("Kafka stopped.");
        }, "dev-broker-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        err.printf("Starting Apache Kafka (KRaft broker+controller) on %s; data %s, log %s%n",
                broker.bootstrapServers(), broker.dataDir(), broker.logFile());
        try {
            broker.awaitReady(readyTimeout);
            if (partitions > 0) {
                var created = TopicSetup.ensureTopics(broker.bootstrapServers(), partitions);
                if (!created.isEmpty()) {
                    err.println("Created topics " + String.join(", ", created));
                }
            }
        } catch (RuntimeException e) {
            err.println(e.getMessage());
            return 1; // the shutdown hook stops the broker
        }
        err.printf("Kafka is ready after %.1f s. Ctrl-C stops it.%n", (System.nanoTime() - started) / 1e9);
        out.println("READY bootstrap=" + broker.bootstrapServers());
        out.flush();
        try {
            int code = broker.awaitExit();
            err.println("The Kafka broker exited on its own (code " + code + "). Last lines of "
                    + broker.logFile() + ":\n" + broker.logTail(20));
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }
}
