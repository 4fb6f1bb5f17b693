package dev.minitron.worker.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Node project of the test sources (package.json, its lockfile and scripts), copied under
 * target/ and installed there with {@code npm ci}, so the exact locked packages run and nothing is
 * written into the sources.
 */
final class NodeProject {

    private NodeProject() {
    }

    /** The installed copy, or null when this machine has no {@code node} or {@code npm}. */
    static Path install(Path source, Path target) throws IOException, InterruptedException {
        if (!runs(List.of("node", "--version"), Path.of(".")) || !runs(List.of("npm", "--version"), Path.of("."))) {
            return null;
        }
        Files.createDirectories(target);
        boolean changed = false;
        try (var files = Files.list(source)) {
            for (Path f : files.toList()) {
                Path to = target.resolve(f.getFileName());
                changed |= !Files.exists(to) || Files.mismatch(f, to) != -1;
                Files.copy(f, to, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (changed || !Files.isDirectory(target.resolve("node_modules"))) {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(target.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(npm.getInputStream().readAllBytes());
            if (!npm.waitFor(300, TimeUnit.SECONDS) || npm.exitValue() != 0) {
                throw new AssertionError("npm ci in " + target + " failed:\n" + out);
            }
        }
        return target;
    }

    private static boolean runs(List<String> command, Path dir) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException absent) {
            return false;
        }
    }
}
