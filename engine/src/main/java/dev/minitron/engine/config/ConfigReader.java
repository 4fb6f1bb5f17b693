package dev.minitron.engine.config;

import com.fasterxml.jackson.databind.JsonNode;

/** Typed, error-reporting access to the keys of one {@code config.json}. */
final class ConfigReader {

    private final JsonNode root;
    private final String source;

    ConfigReader(JsonNode root, String source) {
        this.root = root;
        this.source = source;
    }

    /** Rejects anything that is not a Nemotron decoder with squared-ReLU MLPs. */
    void requireNemotron() {
        JsonNode type = root.get("model_type");
        if (type != null && !"nemotron".equals(type.asText())) {
            throw fail("model_type is \"" + type.asText() + "\", expected \"nemotron\" "
                    + "(only NemotronForCausalLM checkpoints such as Minitron-8B-Base are supported)");
        }
        JsonNode archs = root.get("architectures");
        if (archs != null) {
            boolean found = false;
            for (JsonNode a : archs) {
                found |= "NemotronForCausalLM".equals(a.asText());
            }
            if (!found) {
                throw fail("architectures is " + archs + ", expected [\"NemotronForCausalLM\"]");
            }
        }
        if (type == null && archs == null) {
            throw fail("neither model_type nor architectures is present; expected a NemotronForCausalLM config");
        }
        JsonNode act = root.get("hidden_act");
        if (act != null && !"relu2".equals(act.asText())) {
            throw fail("hidden_act is \"" + act.asText() + "\", expected \"relu2\" (squared ReLU)");
        }
    }

    boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    int integer(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw fail("missing required key \"" + key + "\"");
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw fail("\"" + key + "\" must be an integer, got " + n);
        }
        return n.intValue();
    }

    /** A token id; Hugging Face allows a list for {@code eos_token_id}, whose first entry is taken. */
    int tokenId(String key, int fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (n.isArray() && !n.isEmpty() && n.get(0).canConvertToInt()) {
            return n.get(0).intValue();
        }
        return integer(key);
    }

    double firstDouble(double fallback, String... keys) {
        for (String key : keys) {
            JsonNode n = root.get(key);
            if (n != null && !n.isNull()) {
                if (!n.isNumber()) {
                    throw fail("\"" + key + "\" must be a number, got " + n);
                }
                return n.doubleValue();
            }
        }
        return fallback;
    }

    boolean bool(String key, boolean fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw fail("\"" + key + "\" must be true or false, got " + n);
        }
        return n.booleanValue();
    }

    String string(String key, String fallback) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? fallback : n.asText();
    }

    private IllegalArgumentException fail(String problem) {
        return new IllegalArgumentException(source + ": " + problem);
    }
}
