package dev.minitron.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte array for building UTF-8 text. */
final class ByteSink {

    private byte[] buf;
    private int size;

    ByteSink(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    void append(byte b) {
        ensure(1);
        buf[size++] = b;
    }

    void append(byte[] s) {
        append(s, 0, s.length);
    }

    void append(byte[] s, int from, int to) {
        ensure(to - from);
        System.arraycopy(s, from, buf, size, to - from);
        size += to - from;
    }

    int size() {
        return size;
    }

    boolean endsWith(byte[] suffix) {
        return size >= suffix.length && Arrays.equals(buf, size - suffix.length, size, suffix, 0, suffix.length);
    }

    void truncate(int newSize) {
        size = newSize;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    @Override
    public String toString() {
        return new String(buf, 0, size, StandardCharsets.UTF_8);
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
