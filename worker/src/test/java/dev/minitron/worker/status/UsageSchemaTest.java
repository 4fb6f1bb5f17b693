package dev.minitron.worker.status;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.json.WireSchema;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The usage record, its JSON Schema (schemas module, v1/usage.schema.json) and its example agree. */
class UsageSchemaTest {

    private static final JsonNode SCHEMA = resource("/minitron/schemas/v1/usage.schema.json");
    private static final JsonNode EXAMPLE = resource("/minitron/examples/v1/usage/window.json");
    private static final Schema COMPILED = WireSchema.compile(SCHEMA);

    @Test
    void writtenRecordsAreValid() throws Exception {
        UsageRecord record = UsageRecord.of("acme", 60_000, 120_000, new TenantUsage(30, 12, 2));
        JsonNode json = WireJson.reader().readTree(WireJson.writer().writeValueAsBytes(record));
        assertThat(COMPILED.validate(json)).isEmpty();
    }

    @Test
    void theExampleIsValidAndReadsBackUnchanged() throws Exception {
        assertThat(COMPILED.validate(EXAMPLE)).isEmpty();
        UsageRecord read = WireJson.reader().forType(UsageRecord.class).readValue(EXAMPLE);
        assertThat(WireJson.reader().readTree(WireJson.writer().writeValueAsBytes(read))).isEqualTo(EXAMPLE);
    }

    @Test
    void theSchemaRejectsARecordWithoutATenantOrWithNegativeCounts() throws Exception {
        JsonNode noTenant = WireJson.reader().readTree("{\"window_start\":0,\"window_end\":1,\"prompt_tokens\":0,"
                + "\"completion_tokens\":0,\"requests\":1}");
        JsonNode negative = WireJson.reader().readTree("{\"tenant\":\"t\",\"window_start\":0,\"window_end\":1,"
                + "\"prompt_tokens\":-1,\"completion_tokens\":0,\"requests\":1}");
        assertThat(COMPILED.validate(noTenant)).isNotEmpty();
        assertThat(COMPILED.validate(negative)).isNotEmpty();
    }

    @Test
    void recordComponentsAreTheSchemaProperties() {
        Set<String> schemaFields = new TreeSet<>();
        SCHEMA.path("properties").fieldNames().forEachRemaining(schemaFields::add);
        Set<String> recordFields = new TreeSet<>();
        for (RecordComponent component : UsageRecord.class.getRecordComponents()) {
            recordFields.add(component.getAccessor().getAnnotation(JsonProperty.class).value());
        }
        assertThat(recordFields).isEqualTo(schemaFields);
    }

    private static JsonNode resource(String path) {
        try (InputStream in = UsageSchemaTest.class.getResourceAsStream(path)) {
            assertThat(in).as(path).isNotNull();
            return WireJson.reader().readTree(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
