package dev.minitron.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.json.WireSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The golden examples under {@code minitron/examples/v1/<kind>/}, for tests. */
public final class Examples {
    private Examples() {}

    /** One golden example file. */
    public record Example(WireSchema schema, String name, byte[] bytes) {
        public JsonNode tree() {
            try {
                return WireJson.reader().readTree(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return schema.kind() + "/" + name;
        }
    }

    public static List<Example> all() {
        return Stream.of(WireSchema.values()).flatMap(schema -> of(schema).stream()).toList();
    }

    public static List<Example> of(WireSchema schema) {
        Path folder = resourceFolder("/minitron/examples/" + WireSchema.VERSION + "/" + schema.kind());
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.toString().endsWith(".json"))
                    .sorted(Comparator.naturalOrder())
                    .map(file -> new Example(schema, file.getFileName().toString(), read(file)))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record type that an example of {@code schema} binds to. */
    public static Class<? extends WireEvent> recordType(WireSchema schema) {
        return switch (schema) {
            case PROMPT -> PromptEvent.class;
            case TOKEN -> TokenEvent.class;
            case COMPLETION -> CompletionEvent.class;
            case ERROR -> ErrorEvent.class;
            case CANCEL -> CancelEvent.class;
        };
    }

    /** A folder of test or main resources, on the file system as Maven lays them out. */
    public static Path resourceFolder(String name) {
        try {
            return Path.of(Examples.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("no resource folder " + name, e);
        }
    }

    public static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
