package dev.minitron.worker.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.KafkaException;

/**
 * The {@code minitron} command line: produce prompts, consume answers, generate, create topics.
 * A plain Java program (no Quarkus, no CDI) on the worker's runtime classpath.
 */
public final class MinitronCli {

    static final int OK = 0;
    static final int ERROR = 1;
    static final int USAGE = 2;
    static final int TIMEOUT = 3;

    static final String DEFAULT_BOOTSTRAP = "localhost:9092";

    private static final String OVERVIEW = """
            usage: minitron <command> [options]

            commands:
              produce    write prompt events to minitron.prompts (from --prompt, --json or JSON lines on stdin)
              consume    print events from minitron.tokens, .completions, .errors as they arrive
              generate   send one prompt and stream its answer
              topics     create the minitron.* topics (topics create)

            Every command takes --bootstrap HOST:PORT (default $MINITRON_BOOTSTRAP or localhost:9092).
            'minitron <command> --help' shows a command's options.
            """;

    private static final Set<String> COMMON = Set.of("--bootstrap");
    private static final Set<String> SAMPLING = Set.of("--id", "--prompt", "--json", "--max-tokens",
            "--temperature", "--seed");

    private final PrintStream out;
    private final PrintStream err;

    MinitronCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] argv) {
        CliLogging.quietKafkaClients();
        var out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        var err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        int code = new MinitronCli(out, err).run(argv);
        out.flush();
        System.exit(code);
    }

    int run(String[] argv) {
        if (argv.length == 0 || argv[0].equals("help") || argv[0].equals("--help") || argv[0].equals("-h")) {
            (argv.length == 0 ? err : out).print(OVERVIEW);
            return argv.length == 0 ? USAGE : OK;
        }
        String command = argv[0];
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        String usage = switch (command) {
            case "produce" -> ProduceCommand.USAGE;
            case "consume" -> ConsumeCommand.USAGE;
            case "generate" -> GenerateCommand.USAGE;
            case "topics" -> TopicsCommand.USAGE;
            default -> null;
        };
        if (usage == null) {
            err.println("minitron: unknown command '" + command + "'");
            err.print(OVERVIEW);
            return USAGE;
        }
        try {
            Args args = switch (command) {
                case "produce" -> Args.parse(rest, union(SAMPLING, Set.of("--topic")), Set.of("--help"));
                case "consume" -> Args.parse(rest, Set.of("--bootstrap", "--id", "--topics", "--max"),
                        Set.of("--from-beginning", "--pretty", "--follow", "--help"));
                case "generate" -> Args.parse(rest, union(SAMPLING, Set.of("--timeout")), Set.of("--help"));
                default -> Args.parse(rest, Set.of("--bootstrap", "--partitions"), Set.of("--help"));
            };
            if (args.flag("--help")) {
                out.print(usage);
                return OK;
            }
            return switch (command) {
                case "produce" -> new ProduceCommand(out, err).run(args);
                case "consume" -> new ConsumeCommand(out, err).run(args);
                case "generate" -> new GenerateCommand(out, err).run(args);
                default -> new TopicsCommand(out).run(args);
            };
        } catch (UsageException e) {
            err.println("minitron " + command + ": " + e.getMessage());
            err.print(usage);
            return USAGE;
        } catch (CliException e) {
            err.println(e.getMessage());
            return e.exitCode();
        } catch (KafkaException e) {
            err.println("Kafka error: " + e.getMessage());
            return ERROR;
        }
    }

    static String bootstrap(Args args) {
        String fromEnv = System.getenv("MINITRON_BOOTSTRAP");
        return args.get("--bootstrap", fromEnv == null || fromEnv.isBlank() ? DEFAULT_BOOTSTRAP : fromEnv);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        var all = new HashSet<>(COMMON);
        all.addAll(a);
        all.addAll(b);
        return all;
    }
}
