package dev.minitron.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import dev.minitron.schemas.Examples;
import dev.minitron.schemas.Examples.Example;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The schemas as v1 was first released (frozen copies in {@code compat/v1-baseline/}) accept
 * everything the current contract produces: a v1 consumer can read today's output events, and a
 * v1 worker accepts today's prompts. A later revision that breaks this needs a new version.
 */
class BackwardCompatibilityTest {

    static List<Example> examples() {
        return Examples.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void v1BaselineAcceptsTheCurrentExample(Example example) throws Exception {
        Schema baseline = baseline(example.schema());

        assertThat(baseline.validate(example.tree())).isEmpty();
    }

    @Test
    void baselineCoversEveryKind() {
        for (WireSchema schema : WireSchema.values()) {
            assertThat(baselineFile(schema)).exists();
        }
    }

    private static Schema baseline(WireSchema schema) throws Exception {
        JsonNode document = WireJson.reader().readTree(Examples.read(baselineFile(schema)));
        return WireSchema.compile(document);
    }

    private static Path baselineFile(WireSchema schema) {
        return Examples.resourceFolder("/compat/v1-baseline").resolve(schema.kind() + ".schema.json");
    }
}
