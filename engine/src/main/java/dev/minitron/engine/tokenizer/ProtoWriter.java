package dev.minitron.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Writes the protobuf wire format: the counterpart of {@link ProtoReader}. */
final class ProtoWriter {

    private byte[] buf = new byte[64];
    private int size;

    void writeInt32(int field, int value) {
        writeTag(field, ProtoReader.VARINT);
        writeVarint(value); // negative int32 are sign-extended to 10 bytes, as protobuf does
    }

    void writeBool(int field, boolean value) {
        writeTag(field, ProtoReader.VARINT);
        writeVarint(value ? 1 : 0);
    }

    void writeFloat(int field, float value) {
        writeTag(field, ProtoReader.FIXED32);
        int bits = Float.floatToRawIntBits(value);
        ensure(4);
        buf[size++] = (byte) bits;
        buf[size++] = (byte) (bits >>> 8);
        buf[size++] = (byte) (bits >>> 16);
        buf[size++] = (byte) (bits >>> 24);
    }

    void writeString(int field, String value) {
        writeBytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    void writeBytes(int field, byte[] value) {
        writeTag(field, ProtoReader.LEN);
        writeVarint(value.length);
        writeRaw(value);
    }

    void writeMessage(int field, ProtoWriter message) {
        writeBytes(field, message.toByteArray());
    }

    /** Appends bytes that are already wire format, e.g. fields kept from parsing. */
    void writeRaw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, size, bytes.length);
        size += bytes.length;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private void writeTag(int field, int wireType) {
        writeVarint((long) field << 3 | wireType);
    }

    private void writeVarint(long value) {
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            buf[size++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buf[size++] = (byte) value;
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
        }
    }
}
