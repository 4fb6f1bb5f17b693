package dev.minitron.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Reads the protobuf wire format from a byte array: varints, 32-bit fixed floats and
 * length-delimited fields, with unknown fields skipped. Every length is checked against the end of
 * the enclosing message, so corrupt input fails with an {@link InvalidModelException} naming the
 * byte offset instead of reading garbage or allocating past the input.
 */
final class ProtoReader {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    private final int limit;
    private int pos;

    ProtoReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    private ProtoReader(byte[] buf, int from, int limit) {
        this.buf = buf;
        this.pos = from;
        this.limit = limit;
    }

    boolean hasMore() {
        return pos < limit;
    }

    int position() {
        return pos;
    }

    /** The raw bytes between an earlier {@link #position()} and now, e.g. a skipped field to keep. */
    byte[] bytesSince(int start) {
        byte[] out = new byte[pos - start];
        System.arraycopy(buf, start, out, 0, out.length);
        return out;
    }

    /** Reads a field key: {@code fieldNumber << 3 | wireType}. */
    int readTag() {
        int at = pos;
        long tag = readVarint();
        if (tag >>> 3 == 0 || tag >>> 3 > 0x1FFF_FFFF) {
            throw corrupt("invalid field number " + (tag >>> 3), at);
        }
        return (int) tag;
    }

    static int fieldNumber(int tag) {
        return tag >>> 3;
    }

    static int wireType(int tag) {
        return tag & 7;
    }

    long readVarint() {
        int at = pos;
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw corrupt("truncated varint", at);
            }
            byte b = buf[pos++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw corrupt("varint longer than 10 bytes", at);
    }

    int readInt32() {
        return (int) readVarint();
    }

    boolean readBool() {
        return readVarint() != 0;
    }

    float readFloat() {
        require(4, "fixed32");
        int bits = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    byte[] readBytes() {
        int length = readLength();
        byte[] out = new byte[length];
        System.arraycopy(buf, pos, out, 0, length);
        pos += length;
        return out;
    }

    String readString() {
        int length = readLength();
        String s = new String(buf, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return s;
    }

    /** A reader over the embedded message that starts here; this reader moves past it. */
    ProtoReader readMessage() {
        int length = readLength();
        ProtoReader sub = new ProtoReader(buf, pos, pos + length);
        pos += length;
        return sub;
    }

    /** Skips the value of a field whose key has just been read. */
    void skip(int tag) {
        int at = pos;
        switch (wireType(tag)) {
            case VARINT -> readVarint();
            case FIXED64 -> advance(8, "fixed64");
            case LEN -> advance(readLength(), "length-delimited field"); // not `pos += readLength()`: pos would be read first
            case FIXED32 -> advance(4, "fixed32");
            default -> throw corrupt("unsupported wire type " + wireType(tag) + " for field " + fieldNumber(tag), at);
        }
    }

    /** Checks that the key just read has the wire type the schema expects. */
    void expect(int tag, int wireType) {
        if (wireType(tag) != wireType) {
            throw corrupt("field " + fieldNumber(tag) + " has wire type " + wireType(tag) + ", expected " + wireType, pos);
        }
    }

    private int readLength() {
        int at = pos;
        long length = readVarint();
        if (length < 0 || length > limit - pos) {
            throw corrupt("length " + length + " runs past the end of its message (" + (limit - pos) + " bytes left)", at);
        }
        return (int) length;
    }

    private void require(int n, String what) {
        if (limit - pos < n) {
            throw corrupt("truncated " + what, pos);
        }
    }

    private void advance(int n, String what) {
        require(n, what);
        pos += n;
    }

    private static InvalidModelException corrupt(String what, int offset) {
        return new InvalidModelException("corrupt protobuf: " + what + " at byte " + offset);
    }
}
