package dev.minitron.schemas.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The v1 JSON Schemas (draft 2020-12), loaded from the classpath and compiled once with the
 * networknt validator. Formats are asserted ({@code deadline} must be an RFC 3339 date-time), and
 * a number with a zero fraction counts as an integer, as the 2020-12 specification says.
 */
public enum WireSchema {
    PROMPT("prompt"),
    TOKEN("token"),
    COMPLETION("completion"),
    ERROR("error"),
    CANCEL("cancel");

    public static final String VERSION = "v1";

    private final String kind;

    WireSchema(String kind) {
        this.kind = kind;
    }

    /** The folder name of this kind, as in {@code minitron/examples/v1/<kind>/}. */
    public String kind() {
        return kind;
    }

    /** Where the schema file is on the classpath. */
    public String resource() {
        return "/minitron/schemas/" + VERSION + "/" + kind + ".schema.json";
    }

    /** The schema itself, as JSON. */
    public JsonNode document() {
        return Compiled.SCHEMAS.get(this).getSchemaNode();
    }

    /** Every violation of this schema by {@code instance}; empty when it is valid. */
    public List<Error> validate(JsonNode instance) {
        return Compiled.SCHEMAS.get(this).validate(instance);
    }

    /**
     * Compiles another schema document with the same settings, e.g. an older version's copy for a
     * compatibility check. Each call uses a registry of its own, so equal {@code $id}s never mix.
     */
    public static Schema compile(JsonNode schemaDocument) {
        return newRegistry().getSchema(schemaDocument);
    }

    private static SchemaRegistry newRegistry() {
        SchemaRegistryConfig config = SchemaRegistryConfig.builder()
                .formatAssertionsEnabled(true)
                .losslessNarrowing(true)
                .build();
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaRegistryConfig(config));
    }

    /** Compiled once, on first use. */
    private static final class Compiled {
        static final Map<WireSchema, Schema> SCHEMAS = compileAll();

        private static Map<WireSchema, Schema> compileAll() {
            SchemaRegistry registry = newRegistry();
            Map<WireSchema, Schema> schemas = new EnumMap<>(WireSchema.class);
            for (WireSchema wireSchema : values()) {
                try (InputStream in = WireSchema.class.getResourceAsStream(wireSchema.resource())) {
                    if (in == null) {
                        throw new IllegalStateException("missing schema resource " + wireSchema.resource());
                    }
                    Schema schema = registry.getSchema(WireJson.reader().readTree(in));
                    schema.initializeValidators();
                    schemas.put(wireSchema, schema);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + wireSchema.resource(), e);
                }
            }
            return schemas;
        }
    }
}
