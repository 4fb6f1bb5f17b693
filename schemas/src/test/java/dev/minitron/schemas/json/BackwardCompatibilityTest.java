package dev.minitron.schemas.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /**
     * Optional prompt fields added by v1 revisions. A v1 worker refuses them (unknown_field): the
     * right answer from a worker that cannot honour them, never a silently unconstrained output.
     * Without them every example must still pass the baseline.
     */
    static final List<String> PROMPT_FIELDS_ADDED = List.of("response_format", "structured_outputs");
    /** Error codes added by v1 revisions; v1 readers see them as an unknown code of a failed request. */
    static final List<String> CODES_ADDED = List.of("unsupported_schema");

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void v1BaselineAcceptsTheCurrentExample(Example example) throws Exception {
        Schema baseline = baseline(example.schema());

        assertThat(baseline.validate(withoutAdditions(example.tree()))).isEmpty();
    }

    private static JsonNode withoutAdditions(JsonNode tree) {
        ObjectNode copy = tree.deepCopy();
        PROMPT_FIELDS_ADDED.forEach(copy::remove);
        for (String pointer : List.of("/code", "/error/code")) {
            if (CODES_ADDED.contains(copy.at(pointer).asText())) {
                ((ObjectNode) copy.at(pointer.substring(0, pointer.lastIndexOf('/')).isEmpty() ? ""
                        : pointer.substring(0, pointer.lastIndexOf('/')))).put("code", "invalid_request");
            }
        }
        return copy;
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
