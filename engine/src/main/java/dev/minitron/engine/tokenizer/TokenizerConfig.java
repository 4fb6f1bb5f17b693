package dev.minitron.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * What Hugging Face's {@code tokenizer_config.json} says about special tokens: whether encoding
 * adds BOS and EOS, and which pieces they are. Without a file, the Llama/SentencePiece defaults
 * hold: BOS added, EOS not, both taken from the SentencePiece model.
 *
 * @param bosToken the BOS piece's text, when the file names one
 * @param eosToken the EOS piece's text, when the file names one
 */
public record TokenizerConfig(
        boolean addBosToken,
        boolean addEosToken,
        Optional<String> bosToken,
        Optional<String> eosToken) {

    public static final String FILE_NAME = "tokenizer_config.json";

    public TokenizerConfig {
        Objects.requireNonNull(bosToken, "bosToken");
        Objects.requireNonNull(eosToken, "eosToken");
    }

    public static TokenizerConfig defaults() {
        return new TokenizerConfig(true, false, Optional.empty(), Optional.empty());
    }

    /** Reads {@code file}; a missing file gives {@link #defaults()}. */
    public static TokenizerConfig read(Path file) {
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return defaults();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        try {
            return parse(new ObjectMapper().readTree(json));
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidModelException(file + ": " + e.getMessage(), e);
        }
    }

    static TokenizerConfig parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        return new TokenizerConfig(
                flag(root, "add_bos_token", true),
                flag(root, "add_eos_token", false),
                token(root, "bos_token"),
                token(root, "eos_token"));
    }

    private static boolean flag(JsonNode root, String key, boolean fallback) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false, not " + v);
        }
        return v.booleanValue();
    }

    /** A special token is written either as its text or as an AddedToken object with a "content" field. */
    private static Optional<String> token(JsonNode root, String key) {
        JsonNode v = root.get(key);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (v.isTextual()) {
            return Optional.of(v.textValue());
        }
        if (v.isObject() && v.path("content").isTextual()) {
            return Optional.of(v.get("content").textValue());
        }
        throw new IllegalArgumentException(key + " must be a string or an object with \"content\", not " + v);
    }
}
