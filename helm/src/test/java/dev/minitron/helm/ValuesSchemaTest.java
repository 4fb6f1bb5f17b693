package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * values.schema.json: Helm checks every install against it, so a wrong type or a misspelled key
 * stops {@code helm install} with a message naming the key, before anything reaches the cluster.
 */
class ValuesSchemaTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void wrongTypeIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> Chart.render("worker: {shutdownGraceSeconds: soon}"))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("shutdownGraceSeconds")
                .hasMessageContaining("integer");
        assertThatThrownBy(() -> Chart.render("autoscaling: {enabled: \"yes\"}"))
                .hasMessageContaining("enabled").hasMessageContaining("boolean");
    }

    @Test
    void unknownKeyIsRejectedNamingIt() {
        assertThatThrownBy(() -> Chart.render("worker: {gpus: 2}")).hasMessageContaining("gpus");
        assertThatThrownBy(() -> Chart.render("autoscalling: {enabled: false}")).hasMessageContaining("autoscalling");
    }

    @Test
    void credentialsCannotBeInlinedInValues() {
        assertThatThrownBy(() -> Chart.render("kafka: {sasl: {enabled: true, existingSecret: s, password: hunter2}}"))
                .hasMessageContaining("password");
    }

    @Test
    void outOfRangeAndUnpinnedValuesAreRejected() {
        assertThatThrownBy(() -> Chart.render("image: {tag: latest}")).hasMessageContaining("tag");
        assertThatThrownBy(() -> Chart.render("kafka: {sasl: {mechanism: GSSAPI}}")).hasMessageContaining("mechanism");
        assertThatThrownBy(() -> Chart.render("model: {source: s3}")).hasMessageContaining("source");
        assertThatThrownBy(() -> Chart.render("worker: {consumer: {pollTimeout: 100}}")).hasMessageContaining("pollTimeout");
        assertThatThrownBy(() -> Chart.render("autoscaling: {maxReplicas: 0}")).hasMessageContaining("maxReplicas");
    }

    @Test
    void schemaAndValuesYamlDescribeTheSameKeys() throws Exception {
        JsonNode schema = JSON.readTree(Chart.read("values.schema.json"));
        JsonNode values = YAML.readTree(Chart.read("values.yaml"));
        Set<String> inValues = new TreeSet<>();
        Set<String> inSchema = new TreeSet<>();
        collectValues(values, schema, "", inValues);
        collectSchema(schema, "", inSchema);
        assertThat(inValues).isEqualTo(inSchema);
    }

    @Test
    void everyValueHasACommentAboveIt() {
        JsonNode schema;
        try {
            schema = JSON.readTree(Chart.read("values.schema.json"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        List<String> uncommented = new ArrayList<>();
        Deque<String[]> stack = new ArrayDeque<>(); // {indent, path}
        String previous = "";
        for (String line : Chart.read("values.yaml").split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("-")
                    || !trimmed.matches("^[\\w.\"-]+:.*")) {
                if (!trimmed.isEmpty()) {
                    previous = trimmed;
                }
                continue;
            }
            int indent = line.indexOf(trimmed);
            while (!stack.isEmpty() && Integer.parseInt(stack.peek()[0]) >= indent) {
                stack.pop();
            }
            String key = trimmed.substring(0, trimmed.indexOf(':'));
            String path = stack.isEmpty() ? key : stack.peek()[1] + "." + key;
            JsonNode node = schemaNode(schema, path);
            if (node != null && isLeaf(node) && !previous.startsWith("#")) {
                uncommented.add(path);
            }
            stack.push(new String[] {String.valueOf(indent), path});
            previous = trimmed;
        }
        assertThat(uncommented).isEmpty();
    }

    /** A schema node whose children are declared (a group of values) is not a value itself. */
    private static boolean isLeaf(JsonNode node) {
        return !node.has("properties");
    }

    private static JsonNode schemaNode(JsonNode schema, String path) {
        JsonNode node = schema;
        for (String part : path.split("\\.")) {
            node = node.path("properties").get(part);
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    private static void collectValues(JsonNode values, JsonNode schema, String prefix, Set<String> out) {
        values.properties().forEach(e -> {
            String path = prefix + e.getKey();
            JsonNode child = schema.path("properties").path(e.getKey());
            out.add(path);
            if (child.has("properties") && e.getValue().isObject()) {
                collectValues(e.getValue(), child, path + ".", out);
            }
        });
    }

    private static void collectSchema(JsonNode schema, String prefix, Set<String> out) {
        schema.path("properties").properties().forEach(e -> {
            if (prefix.isEmpty() && e.getKey().equals("global")) {
                return; // Helm's own key for parent charts; never in values.yaml
            }
            String path = prefix + e.getKey();
            out.add(path);
            if (e.getValue().has("properties")) {
                collectSchema(e.getValue(), path + ".", out);
            }
        });
    }
}
