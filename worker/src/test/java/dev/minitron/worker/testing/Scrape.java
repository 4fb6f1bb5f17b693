package dev.minitron.worker.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of /q/metrics in the Prometheus text format: every sample line, parsed. */
public record Scrape(List<Sample> samples) {

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    public static Scrape of(URI metrics) throws IOException, InterruptedException {
        return parse(text(metrics));
    }

    /** The raw exposition text of one scrape. */
    public static String text(URI metrics) throws IOException, InterruptedException {
        return text(metrics, "text/plain");
    }

    /**
     * The raw exposition text of one scrape in the format {@code accept} asks for; null sends no
     * Accept header (Quarkus then answers OpenMetrics). Over HTTP/1.1: the JDK client's default h2c
     * upgrade occasionally misreads the answer to a large page as HTTP/2 frames.
     */
    public static String text(URI metrics, String accept) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(metrics).timeout(java.time.Duration.ofSeconds(5));
        if (accept != null) {
            request.header("Accept", accept);
        }
        var response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException(metrics + " answered " + response.statusCode());
        }
        return response.body();
    }

    public static Scrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = LINE.matcher(line.trim());
            if (line.startsWith("#") || !m.matches()) {
                continue;
            }
            var labels = new java.util.LinkedHashMap<String, String>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
        }
        return new Scrape(samples);
    }

    /** The series of this name whose labels include {@code labels} (name, value, name, value …). */
    public List<Sample> series(String name, String... labels) {
        return samples.stream().filter(s -> s.name().equals(name) && matches(s.labels(), labels)).toList();
    }

    /** The sum over every series of this name whose labels include {@code labels} (0 when there is none). */
    public double sum(String name, String... labels) {
        return series(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    /** The one series of this name with these labels; fails when there is none or several. */
    public double value(String name, String... labels) {
        var found = series(name, labels);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " series " + name + " " + List.of(labels) + " in the scrape");
        }
        return found.getFirst().value();
    }

    public boolean has(String name, String... labels) {
        return !series(name, labels).isEmpty();
    }

    private static boolean matches(Map<String, String> actual, String[] wanted) {
        for (int i = 0; i + 1 < wanted.length; i += 2) {
            if (!wanted[i + 1].equals(actual.get(wanted[i]))) {
                return false;
            }
        }
        return true;
    }
}
