package dev.minitron.helm;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the worker really is, read from its sources, so the chart's ports, paths and environment
 * variables are checked against the code rather than against a copy of it in the test.
 */
final class WorkerSources {

    static final Path WORKER = Chart.DIR.getParent().getParent().resolve("worker");

    private WorkerSources() {
    }

    static Properties applicationProperties() {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(read("src/main/resources/application.properties")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    static String pom() {
        return read("pom.xml");
    }

    /**
     * The environment variable of every {@code minitron.*} setting, from each {@code @ConfigMapping}
     * interface under the worker's sources (WorkerConfig's nested groups, StatusConfig's flat keys):
     * prefix + group + method, camelCase → kebab-case, then SmallRye's env form (upper case, "." and
     * "-" → "_").
     */
    static Set<String> configEnvironmentVariables() {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(WORKER.resolve("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String source = Files.readString(file);
                Matcher prefix = Pattern.compile("@ConfigMapping\\(prefix = \"(minitron[\\w.-]*)\"\\)").matcher(source);
                if (prefix.find()) {
                    names.addAll(settings(prefix.group(1), source));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (names.size() < 15) {
            throw new AssertionError("the worker's config mappings parsed to too few settings: " + names);
        }
        return names;
    }

    private static Set<String> settings(String prefix, String source) {
        Set<String> groups = new TreeSet<>();
        Matcher interfaces = Pattern.compile("interface (\\w+)").matcher(source);
        String top = interfaces.find() ? interfaces.group(1) : "";
        while (interfaces.find()) {
            groups.add(interfaces.group(1));
        }
        Set<String> names = new TreeSet<>();
        String group = null;
        Matcher m = Pattern.compile("interface (\\w+)|\\s([\\w<>]+) (\\w+)\\(\\);").matcher(source);
        while (m.find()) {
            if (m.group(1) != null) {
                group = m.group(1).equals(top) ? null : m.group(1);
            } else if (!groups.contains(m.group(2))) {
                String key = prefix + (group == null ? "" : "." + kebab(group)) + "." + kebab(m.group(3));
                names.add(key.toUpperCase().replaceAll("[.-]", "_"));
            }
        }
        return names;
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    private static String read(String relative) {
        try {
            return Files.readString(WORKER.resolve(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
