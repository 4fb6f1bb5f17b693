package dev.minitron.engine.tokenizer;

import java.util.Arrays;
import java.util.Objects;

/**
 * A SentencePiece {@code NormalizerSpec}. An empty {@code precompiledCharsmap} means no character
 * rewriting at all, whatever the {@code name} says (that is how SentencePiece reads it too).
 *
 * @param precompiledCharsmap a darts-clone trie plus replacement strings; see {@link PrecompiledCharsMap}
 * @param otherFields wire-format bytes of the fields not modelled here, in file order
 */
public record NormalizerSpec(
        String name,
        byte[] precompiledCharsmap,
        boolean addDummyPrefix,
        boolean removeExtraWhitespaces,
        boolean escapeWhitespaces,
        byte[] otherFields) {

    public NormalizerSpec {
        Objects.requireNonNull(name, "name");
        precompiledCharsmap = precompiledCharsmap.clone();
        otherFields = otherFields.clone();
    }

    /** The identity rule: text kept as is, apart from the whitespace options. */
    public static NormalizerSpec identity(boolean addDummyPrefix, boolean removeExtraWhitespaces, boolean escapeWhitespaces) {
        return new NormalizerSpec("identity", new byte[0], addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces,
                new byte[0]);
    }

    @Override
    public byte[] precompiledCharsmap() {
        return precompiledCharsmap.clone();
    }

    @Override
    public byte[] otherFields() {
        return otherFields.clone();
    }

    static NormalizerSpec read(ProtoReader in) {
        String name = "";
        byte[] charsmap = new byte[0];
        boolean dummyPrefix = true, removeExtra = true, escape = true; // proto2 defaults
        ProtoWriter other = new ProtoWriter();
        while (in.hasMore()) {
            int start = in.position();
            int tag = in.readTag();
            switch (ProtoReader.fieldNumber(tag)) {
                case 1 -> {
                    in.expect(tag, ProtoReader.LEN);
                    name = in.readString();
                }
                case 2 -> {
                    in.expect(tag, ProtoReader.LEN);
                    charsmap = in.readBytes();
                }
                case 3 -> dummyPrefix = bool(in, tag);
                case 4 -> removeExtra = bool(in, tag);
                case 5 -> escape = bool(in, tag);
                default -> {
                    in.skip(tag);
                    other.writeRaw(in.bytesSince(start));
                }
            }
        }
        return new NormalizerSpec(name, charsmap, dummyPrefix, removeExtra, escape, other.toByteArray());
    }

    void write(ProtoWriter out) {
        if (!name.isEmpty()) {
            out.writeString(1, name);
        }
        if (precompiledCharsmap.length > 0) {
            out.writeBytes(2, precompiledCharsmap);
        }
        out.writeBool(3, addDummyPrefix);
        out.writeBool(4, removeExtraWhitespaces);
        out.writeBool(5, escapeWhitespaces);
        out.writeRaw(otherFields);
    }

    private static boolean bool(ProtoReader in, int tag) {
        in.expect(tag, ProtoReader.VARINT);
        return in.readBool();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NormalizerSpec n && name.equals(n.name)
                && Arrays.equals(precompiledCharsmap, n.precompiledCharsmap) && addDummyPrefix == n.addDummyPrefix
                && removeExtraWhitespaces == n.removeExtraWhitespaces && escapeWhitespaces == n.escapeWhitespaces
                && Arrays.equals(otherFields, n.otherFields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(precompiledCharsmap), addDummyPrefix, removeExtraWhitespaces,
                escapeWhitespaces, Arrays.hashCode(otherFields));
    }

    @Override
    public String toString() {
        return "NormalizerSpec[name=" + name + ", precompiledCharsmap=" + precompiledCharsmap.length
                + " bytes, addDummyPrefix=" + addDummyPrefix + ", removeExtraWhitespaces=" + removeExtraWhitespaces
                + ", escapeWhitespaces=" + escapeWhitespaces + "]";
    }
}
