package dev.minitron.helm.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CUDA Containerfile (built on GPU hosts, not here) runs the worker exactly like the offline image. */
class ContainerfileTest {

    private static final Path CONTAINERFILE = Path.of("image/Containerfile");

    @Test
    void entrypointAndUserMatchTheOfflineImage() throws IOException {
        List<String> instructions = instructions();
        String entrypoint = value(instructions, "ENTRYPOINT");
        assertThat(Arrays.asList(new ObjectMapper().readValue(entrypoint, String[].class)))
                .isEqualTo(WorkerImageBuilder.ENTRYPOINT);
        assertThat(value(instructions, "USER")).isEqualTo(WorkerImageBuilder.USER);
        assertThat(value(instructions, "WORKDIR")).isEqualTo(WorkerImageBuilder.APP_DIR);
        assertThat(value(instructions, "EXPOSE")).isEqualTo(String.valueOf(WorkerImageBuilder.HTTP_PORT));
    }

    @Test
    void baseIsAPinnedCudaRuntimeThatCarriesCublasAndNvrtc() throws IOException {
        List<String> instructions = instructions();
        assertThat(value(instructions, "FROM")).matches("docker\\.io/nvidia/cuda:13\\.\\d+\\.\\d+-runtime-ubuntu24\\.04");
        assertThat(instructions).anyMatch(i -> i.startsWith("RUN ") && i.contains("libcublas") && i.contains("libnvrtc"));
        assertThat(instructions).filteredOn(i -> i.startsWith("COPY "))
                .anyMatch(i -> i.endsWith(" " + WorkerImageBuilder.JAVA_HOME + "/"))
                .anyMatch(i -> i.endsWith(" " + WorkerImageBuilder.APP_DIR + "/"));
    }

    /** Instructions with continuation lines joined and comments dropped. */
    private static List<String> instructions() throws IOException {
        String joined = Files.readString(CONTAINERFILE).replaceAll("(?m)^#.*\\n", "").replaceAll("\\\\\\n\\s*", "");
        return joined.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static String value(List<String> instructions, String keyword) {
        return instructions.stream().filter(i -> i.startsWith(keyword + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + keyword)).substring(keyword.length() + 1).strip();
    }
}
