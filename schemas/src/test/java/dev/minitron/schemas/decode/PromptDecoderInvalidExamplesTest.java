package dev.minitron.schemas.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.Examples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every file in {@code invalid/} is rejected with the code its name starts with. */
class PromptDecoderInvalidExamplesTest {

    static List<Path> invalidExamples() throws IOException {
        try (Stream<Path> files = Files.list(Examples.resourceFolder("/invalid"))) {
            return files.filter(file -> file.toString().endsWith(".json")).sorted().toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidExamples")
    void isRejectedWithTheCodeInItsName(Path file) {
        String name = file.getFileName().toString();
        ErrorCode expected = ErrorCode.fromWireName(name.substring(0, name.indexOf("--")));

        InvalidPromptException e = catchThrowableOfType(InvalidPromptException.class,
                () -> new PromptDecoder().decode(Examples.read(file)));

        assertThat(e).as("%s was accepted", name).isNotNull();
        assertThat(e.code()).as(e.getMessage()).isEqualTo(expected);
        assertThat(e.getMessage()).isNotBlank();
    }

    @Test
    void everyCodeTheDecoderGivesHasAnExample() throws IOException {
        List<String> codes = invalidExamples().stream()
                .map(file -> file.getFileName().toString().split("--")[0]).distinct().toList();

        assertThat(codes).containsExactlyInAnyOrder(
                "invalid_json", "invalid_request", "unknown_field", "value_out_of_range");
    }
}
