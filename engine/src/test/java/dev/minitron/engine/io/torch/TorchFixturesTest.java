package dev.minitron.engine.io.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.io.CheckpointException;
import dev.minitron.engine.io.DType;
import dev.minitron.engine.io.TensorView;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files written by PyTorch itself ({@code resources/torch}, see its README): the tensors they must
 * yield, or the error they must raise. Nothing in a hostile file may run: the os.system/eval
 * fixtures would print "pwned" and create nothing, but the test also checks the refusal names the
 * global before any REDUCE happens.
 */
class TorchFixturesTest {

    @TempDir
    static Path dir;

    static Stream<String> fixtures() throws IOException {
        List<String> names = new ArrayList<>();
        expected().get("files").fieldNames().forEachRemaining(names::add);
        return names.stream();
    }

    @ParameterizedTest
    @MethodSource("fixtures")
    void readsWhatTorchWroteOrRefusesItByName(String name) throws IOException {
        JsonNode spec = expected().get("files").get(name);
        Path file = copy(name);
        if (spec.has("error")) {
            assertThatThrownBy(() -> TorchCheckpointFile.open(file).close()).isInstanceOf(CheckpointException.class)
                    .hasMessageStartingWith(file + ": ").hasMessageContaining(spec.get("error").asText());
            return;
        }
        try (TorchCheckpointFile f = TorchCheckpointFile.open(file)) {
            List<String> names = new ArrayList<>();
            spec.get("tensors").fieldNames().forEachRemaining(names::add);
            assertThat(f.tensors().keySet()).containsExactlyElementsOf(names);
            for (String tensor : names) {
                JsonNode t = spec.get("tensors").get(tensor);
                TensorView v = f.tensors().get(tensor);
                assertThat(v.dtype()).isEqualTo(DType.fromTorchName(t.get("dtype").asText()).orElseThrow());
                assertThat(v.shape()).containsExactly(new ObjectMapper().treeToValue(t.get("shape"), long[].class));
                float[] values = new float[t.get("values").size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) t.get("values").get(i).asDouble();
                }
                assertThat(v.toFloatArray()).as(tensor).containsExactly(values);
            }
        }
    }

    @Test
    void hostileFixturesReallyAreHostile() throws IOException {
        // guards the guard: if these stopped naming a dangerous global, the refusal tests would prove nothing
        assertThat(new String(Files.readAllBytes(copy("os-system.bin")), java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains("posix\nsystem\n");
        assertThat(new String(Files.readAllBytes(copy("builtins-eval.bin")), java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains("__builtin__\neval\n"); // protocol 2 spells builtins the Python 2 way
    }

    static Path copy(String name) throws IOException {
        return copy(dir, name);
    }

    /** The fixture {@code name} as a file in {@code into}. */
    static Path copy(Path into, String name) throws IOException {
        Path target = into.resolve(name);
        if (!Files.exists(target)) {
            try (InputStream in = TorchFixturesTest.class.getResourceAsStream("/torch/" + name)) {
                assertThat(in).as(name).isNotNull();
                Files.copy(in, target);
            }
        }
        return target;
    }

    private static JsonNode expected() throws IOException {
        try (InputStream in = TorchFixturesTest.class.getResourceAsStream("/torch/expected.json")) {
            return new ObjectMapper().readTree(in);
        }
    }
}
