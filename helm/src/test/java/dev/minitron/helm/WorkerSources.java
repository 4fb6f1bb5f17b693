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
     * The environment variable of every {@code minitron.*} setting in {@code WorkerConfig}: group
     * interface + method, camelCase → kebab-case, then SmallRye's env form (upper case, "." and
     * "-" → "_").
     */
    static Set<String> configEnvironmentVariables() {
        String source = read("src/main/java/dev/minitron/worker/config/WorkerConfig.java");
        Set<String> names = new TreeSet<>();
        String group = null;
        Matcher m = Pattern.compile("interface (\\w+) \\{|\\s[\\w<>]+ (\\w+)\\(\\);").matcher(source);
        while (m.find()) {
            if (m.group(1) != null) {
                group = m.group(1);
            } else if (group != null && !group.equals("WorkerConfig")) {
                names.add(("minitron." + kebab(group) + "." + kebab(m.group(2))).toUpperCase().replaceAll("[.-]", "_"));
            }
        }
        if (names.size() < 15) {
            throw new AssertionError("WorkerConfig parsed to too few settings: " + names);
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
