package dev.minitron.worker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Prometheus' own checker, {@code promtool check metrics}, where it is installed (Debian's
 * {@code prometheus} package; not required: {@link StrictTextFormat} holds the page to the same
 * format everywhere).
 */
public final class Promtool {

    public record Result(int exitCode, String output) {
    }

    private Promtool() {}

    /** promtool's verdict on a page read from its stdin, or null when promtool is not on the PATH. */
    public static Result checkMetrics(String page) throws IOException, InterruptedException {
        Path promtool = find();
        if (promtool == null) {
            return null;
        }
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(page.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("promtool did not finish within 30 s");
        }
        return new Result(p.exitValue(), output);
    }

    private static Path find() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
