package dev.minitron.engine.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes safetensors files byte by byte, so tests can build every kind of broken one. */
final class RawSafetensors {

    private RawSafetensors() {
    }

    /** A file with header length {@code declaredLength}, then {@code header}, then {@code dataBytes} zero bytes. */
    static Path write(Path file, long declaredLength, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(json);
        Files.write(file, b.array());
        return file;
    }

    /** A well-formed header length for {@code header}. */
    static Path write(Path file, String header, int dataBytes) throws IOException {
        return write(file, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }
}
