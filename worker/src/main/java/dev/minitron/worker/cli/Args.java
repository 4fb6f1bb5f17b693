package dev.minitron.worker.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed command line: {@code --name value}, {@code --name=value}, {@code --flag}, and positional
 * words. Options are declared up front so a typo is a usage error, not a silently ignored word.
 */
public final class Args {

    private final Map<String, String> options;
    private final List<String> positional;

    private Args(Map<String, String> options, List<String> positional) {
        this.options = options;
        this.positional = positional;
    }

    public static Args parse(List<String> argv, Set<String> valueOptions, Set<String> flags) throws UsageException {
        var options = new HashMap<String, String>();
        var positional = new ArrayList<String>();
        for (int i = 0; i < argv.size(); i++) {
            String arg = argv.get(i);
            if (!arg.startsWith("--") || arg.equals("--")) {
                positional.add(arg);
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq > 0 ? arg.substring(0, eq) : arg;
            if (flags.contains(name) && eq < 0) {
                options.put(name, "true");
            } else if (valueOptions.contains(name)) {
                if (eq > 0) {
                    options.put(name, arg.substring(eq + 1));
                } else if (i + 1 < argv.size()) {
                    options.put(name, argv.get(++i));
                } else {
                    throw new UsageException(name + " needs a value");
                }
            } else {
                throw new UsageException("unknown option " + name);
            }
        }
        return new Args(options, positional);
    }

    public Optional<String> get(String name) {
        return Optional.ofNullable(options.get(name));
    }

    public String get(String name, String fallback) {
        return options.getOrDefault(name, fallback);
    }

    public boolean flag(String name) {
        return options.containsKey(name);
    }

    public List<String> positional() {
        return positional;
    }

    public Optional<Integer> integer(String name) throws UsageException {
        String value = options.get(name);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(value.strip()));
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a whole number, not '" + value + "'");
        }
    }

    public int integer(String name, int fallback) throws UsageException {
        return integer(name).orElse(fallback);
    }

    public Optional<Double> decimal(String name) throws UsageException {
        String value = options.get(name);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Double.parseDouble(value.strip()));
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a number, not '" + value + "'");
        }
    }

    public Optional<Long> longInteger(String name) throws UsageException {
        String value = options.get(name);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a whole number, not '" + value + "'");
        }
    }

    /** {@code 60s}, {@code 500ms}, {@code 2m}, {@code 1h}, or a number of seconds. */
    public Duration duration(String name, Duration fallback) throws UsageException {
        String value = options.get(name);
        if (value == null) {
            return fallback;
        }
        String v = value.strip().toLowerCase();
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long amount = Long.parseLong(v.replaceAll("[smh]$", ""));
            return switch (v.charAt(v.length() - 1)) {
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> Duration.ofSeconds(amount);
            };
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new UsageException(name + " needs a duration such as 60s, 500ms or 2m, not '" + value + "'");
        }
    }
}
