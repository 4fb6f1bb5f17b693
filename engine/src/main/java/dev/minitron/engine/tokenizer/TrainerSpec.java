package dev.minitron.engine.tokenizer;

import java.util.Arrays;
import java.util.Objects;

/**
 * The {@code TrainerSpec} of a SentencePiece model: the fields the encoder and decoder read, plus
 * every other field kept as raw wire bytes so a model survives a parse/write round trip.
 *
 * @param otherFields wire-format bytes of the fields not modelled here, in file order
 */
public record TrainerSpec(
        ModelType modelType,
        int vocabSize,
        boolean byteFallback,
        boolean splitDigits,
        boolean treatWhitespaceAsSuffix,
        SpecialPiece unk,
        SpecialPiece bos,
        SpecialPiece eos,
        SpecialPiece pad,
        String unkSurface,
        byte[] otherFields) {

    /** {@code TrainerSpec.ModelType}; the number is the enum value in the file. */
    public enum ModelType { UNIGRAM, BPE, WORD, CHAR }

    /** A reserved piece: the id the trainer gave it (−1 for none) and its surface. */
    public record SpecialPiece(int id, String piece) {
        public SpecialPiece {
            Objects.requireNonNull(piece, "piece");
        }
    }

    /** SentencePiece's default: {@code " ⁇ "}, what {@code <unk>} decodes to. */
    public static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    public TrainerSpec {
        Objects.requireNonNull(modelType, "modelType");
        Objects.requireNonNull(unk, "unk");
        Objects.requireNonNull(bos, "bos");
        Objects.requireNonNull(eos, "eos");
        Objects.requireNonNull(pad, "pad");
        Objects.requireNonNull(unkSurface, "unkSurface");
        otherFields = otherFields.clone();
    }

    /** The proto2 defaults: what a model file means when it leaves a field out. */
    public static TrainerSpec defaults() {
        return new TrainerSpec(ModelType.UNIGRAM, 8000, false, false, false,
                new SpecialPiece(0, "<unk>"), new SpecialPiece(1, "<s>"), new SpecialPiece(2, "</s>"),
                new SpecialPiece(-1, "<pad>"), DEFAULT_UNK_SURFACE, new byte[0]);
    }

    @Override
    public byte[] otherFields() {
        return otherFields.clone();
    }

    static TrainerSpec read(ProtoReader in) {
        TrainerSpec d = defaults();
        int modelType = 1;
        int vocabSize = d.vocabSize;
        boolean byteFallback = false;
        boolean splitDigits = false;
        boolean suffix = false;
        int unkId = d.unk.id(), bosId = d.bos.id(), eosId = d.eos.id(), padId = d.pad.id();
        String unkPiece = "", bosPiece = "", eosPiece = "", padPiece = "";
        String unkSurface = d.unkSurface;
        ProtoWriter other = new ProtoWriter();
        while (in.hasMore()) {
            int start = in.position();
            int tag = in.readTag();
            switch (ProtoReader.fieldNumber(tag)) {
                case 3 -> modelType = varint(in, tag);
                case 4 -> vocabSize = varint(in, tag);
                case 24 -> suffix = varint(in, tag) != 0;
                case 25 -> splitDigits = varint(in, tag) != 0;
                case 35 -> byteFallback = varint(in, tag) != 0;
                case 40 -> unkId = varint(in, tag);
                case 41 -> bosId = varint(in, tag);
                case 42 -> eosId = varint(in, tag);
                case 43 -> padId = varint(in, tag);
                case 44 -> unkSurface = string(in, tag);
                case 45 -> unkPiece = string(in, tag);
                case 46 -> bosPiece = string(in, tag);
                case 47 -> eosPiece = string(in, tag);
                case 48 -> padPiece = string(in, tag);
                default -> {
                    in.skip(tag);
                    other.writeRaw(in.bytesSince(start));
                }
            }
        }
        if (modelType < 1 || modelType > ModelType.values().length) {
            throw new InvalidModelException("corrupt model: unknown trainer_spec.model_type " + modelType);
        }
        return new TrainerSpec(ModelType.values()[modelType - 1], vocabSize, byteFallback, splitDigits, suffix,
                new SpecialPiece(unkId, orDefault(unkPiece, d.unk)), new SpecialPiece(bosId, orDefault(bosPiece, d.bos)),
                new SpecialPiece(eosId, orDefault(eosPiece, d.eos)), new SpecialPiece(padId, orDefault(padPiece, d.pad)),
                unkSurface, other.toByteArray());
    }

    void write(ProtoWriter out) {
        out.writeInt32(3, modelType.ordinal() + 1);
        out.writeInt32(4, vocabSize);
        out.writeBool(24, treatWhitespaceAsSuffix);
        out.writeBool(25, splitDigits);
        out.writeBool(35, byteFallback);
        out.writeInt32(40, unk.id());
        out.writeInt32(41, bos.id());
        out.writeInt32(42, eos.id());
        out.writeInt32(43, pad.id());
        out.writeString(44, unkSurface);
        out.writeString(45, unk.piece());
        out.writeString(46, bos.piece());
        out.writeString(47, eos.piece());
        out.writeString(48, pad.piece());
        out.writeRaw(otherFields);
    }

    private static int varint(ProtoReader in, int tag) {
        in.expect(tag, ProtoReader.VARINT);
        return in.readInt32();
    }

    private static String string(ProtoReader in, int tag) {
        in.expect(tag, ProtoReader.LEN);
        return in.readString();
    }

    private static String orDefault(String piece, SpecialPiece fallback) {
        return piece.isEmpty() ? fallback.piece() : piece;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainerSpec t && modelType == t.modelType && vocabSize == t.vocabSize
                && byteFallback == t.byteFallback && splitDigits == t.splitDigits
                && treatWhitespaceAsSuffix == t.treatWhitespaceAsSuffix && unk.equals(t.unk) && bos.equals(t.bos)
                && eos.equals(t.eos) && pad.equals(t.pad) && unkSurface.equals(t.unkSurface)
                && Arrays.equals(otherFields, t.otherFields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(modelType, vocabSize, byteFallback, splitDigits, unk, bos, eos, pad,
                Arrays.hashCode(otherFields));
    }

    @Override
    public String toString() {
        return "TrainerSpec[modelType=" + modelType + ", vocabSize=" + vocabSize + ", byteFallback=" + byteFallback
                + ", splitDigits=" + splitDigits + ", unk=" + unk + ", bos=" + bos + ", eos=" + eos + ", pad=" + pad
                + ", otherFields=" + otherFields.length + " bytes]";
    }
}
