package dev.minitron.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.minitron.engine.bench.StructuredBenchmark;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every string of a schema's language is a document the networknt validator accepts: random walks
 * over the byte automaton (no model, no vocabulary) reach corners a tokenizer may not, such as
 * escapes and multi-byte characters split anywhere. Keywords outside the subset are refused by name.
 */
class JsonSchemaCompilerTest {

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    @Test
    void everyDocumentOfTheLanguageValidates() throws Exception {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        List<String> schemas = new ArrayList<>(dev.minitron.engine.StructuredOutputsEngineTestSchemas.SCHEMAS);
        schemas.add(StructuredBenchmark.TEN_PROPERTY_SCHEMA);
        schemas.add("""
                {"type":"number","exclusiveMinimum":-2.5,"maximum":-0.25}""");
        schemas.add("""
                {"type":"string","pattern":"^\\\\d{2,3}(-[a-f]+)?$","minLength":3,"maxLength":6}""");
        SplittableRandom rng = new SplittableRandom(2026);
        List<String> failures = new ArrayList<>();
        for (String text : schemas) {
            Schema validator = registry.getSchema(STRICT.readTree(text));
            DfaWalker walker = new DfaWalker(ByteDfa.of(JsonSchemaCompiler.compile(STRICT.readTree(text))));
            for (int i = 0; i < 150; i++) {
                String doc = new String(walker.walk(rng, 40), StandardCharsets.UTF_8);
                try {
                    if (!validator.validate(STRICT.readTree(doc)).isEmpty()) {
                        failures.add(text + " generated " + doc);
                    }
                } catch (Exception e) {
                    failures.add(text + " generated unparsable " + doc);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void keywordsOutsideTheSubsetAreRefusedByName() {
        for (String keyword : List.of("uniqueItems", "format", "allOf", "not", "patternProperties", "multipleOf",
                "minProperties", "prefixItems", "if")) {
            String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"" + keyword + "\":"
                    + (keyword.equals("format") ? "\"date\"" : keyword.endsWith("Of") && !keyword.equals("multipleOf")
                    || keyword.equals("prefixItems") ? "[{}]" : keyword.equals("uniqueItems") ? "true"
                    : keyword.equals("multipleOf") || keyword.equals("minProperties") ? "2" : "{}") + "}}}";
            assertThatThrownBy(() -> new GrammarCompiler(new TokenVocabulary(new byte[][] {{'a'}}, -1))
                    .compile(StructuredOutputsParams.json(schema)))
                    .isInstanceOf(GrammarException.class)
                    .satisfies(e -> assertThat(((GrammarException) e).kind()).isEqualTo(GrammarException.Kind.UNSUPPORTED_SCHEMA))
                    .hasMessageContaining("'" + keyword + "'").hasMessageContaining("#/properties/a");
        }
        assertThatThrownBy(() -> JsonSchemaCompiler.compile(STRICT.readTree(
                "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}")))
                .hasMessageContaining("oneOf");
        assertThatThrownBy(() -> JsonSchemaCompiler.compile(STRICT.readTree("{\"$ref\":\"other.json#/x\"}")))
                .hasMessageContaining("$ref");
    }
}
