package dev.minitron.engine.tokenizer;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * The reference SentencePiece command-line tools (Debian package {@code sentencepiece}, 0.1.97):
 * {@code spm_train}, {@code spm_encode --output_format=id}, {@code spm_decode --input_format=id}.
 * They read one sentence per line on stdin, so text containing a newline cannot reach them.
 */
final class SpmCli {

    private static final Path BIN = Path.of("/usr/bin");

    private SpmCli() {
    }

    /** Skips the calling test when the tools are missing; on CI (env {@code CI} set) fails instead. */
    static void requireInstalled() {
        boolean present = Files.isExecutable(BIN.resolve("spm_encode")) && Files.isExecutable(BIN.resolve("spm_decode"))
                && Files.isExecutable(BIN.resolve("spm_train"));
        String message = "SentencePiece tools not found in /usr/bin: apt-get install sentencepiece";
        if (!present && System.getenv("CI") != null) {
            fail(message);
        }
        Assumptions.assumeTrue(present, message);
    }

    /** Trains a model on {@code corpus} into {@code dir}; returns the path of the {@code .model} file. */
    static Path train(Path dir, String name, String corpus, String... options) throws IOException {
        Path input = dir.resolve(name + ".txt");
        Files.writeString(input, corpus);
        List<String> command = new ArrayList<>(List.of(BIN.resolve("spm_train").toString(), "--input=" + input,
                "--model_prefix=" + dir.resolve(name), "--minloglevel=2"));
        command.addAll(Arrays.asList(options));
        run(command, "");
        return dir.resolve(name + ".model");
    }

    /** Encodes each line (none may contain '\n') into ids. */
    static List<int[]> encode(Path model, List<String> lines) throws IOException {
        String out = run(List.of(BIN.resolve("spm_encode").toString(), "--model=" + model, "--output_format=id"),
                lines.stream().map(line -> line + "\n").collect(Collectors.joining()));
        List<int[]> ids = new ArrayList<>();
        for (String line : out.split("\n", -1)) {
            ids.add(line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray());
        }
        return ids.subList(0, lines.size());
    }

    /** Encodes raw byte lines (none may contain '\n'; they need not be valid UTF-8) into ids. */
    static List<int[]> encodeBytes(Path model, List<byte[]> lines) throws IOException {
        java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
        for (byte[] line : lines) {
            in.writeBytes(line);
            in.write('\n');
        }
        String out = run(List.of(BIN.resolve("spm_encode").toString(), "--model=" + model, "--output_format=id"), in.toByteArray());
        List<int[]> ids = new ArrayList<>();
        for (String line : out.split("\n", -1)) {
            ids.add(line.isEmpty() ? new int[0] : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray());
        }
        return ids.subList(0, lines.size());
    }

    /** Decodes one id sequence; the text may span lines. */
    static String decode(Path model, int[] ids) throws IOException {
        String out = run(List.of(BIN.resolve("spm_decode").toString(), "--model=" + model, "--input_format=id"),
                Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")) + "\n");
        return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out;
    }

    /** Decodes id sequences whose texts hold no newline, one call for all. */
    static List<String> decodeLines(Path model, List<int[]> sequences) throws IOException {
        String input = sequences.stream()
                .map(ids -> Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" ")) + "\n")
                .collect(Collectors.joining());
        String out = run(List.of(BIN.resolve("spm_decode").toString(), "--model=" + model, "--input_format=id"), input);
        return Arrays.asList(out.split("\n", -1)).subList(0, sequences.size());
    }

    private static String run(List<String> command, String stdin) throws IOException {
        return run(command, stdin.getBytes(StandardCharsets.UTF_8));
    }

    private static String run(List<String> command, byte[] stdin) throws IOException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.PIPE).start();
        CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin);
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(command.get(0) + " timed out");
            }
            if (p.exitValue() != 0) {
                fail(String.join(" ", command) + " exited " + p.exitValue() + ": "
                        + new String(stderr.join(), StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new String(stdout.join(), StandardCharsets.UTF_8);
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
