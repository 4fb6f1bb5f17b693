package dev.minitron.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed SentencePiece {@code ModelProto}: the vocabulary in id order and the specs that say how
 * to use it. Fields this package does not model (self-test data, unknown extensions) are kept as
 * raw bytes, so {@code parse(m.toBytes())} equals {@code m}.
 *
 * @param denormalizerSpec the optional rule applied to decoded text
 * @param otherFields wire-format bytes of the top-level fields not modelled here
 */
public record SentencePieceModel(
        List<Piece> pieces,
        TrainerSpec trainerSpec,
        NormalizerSpec normalizerSpec,
        Optional<NormalizerSpec> denormalizerSpec,
        byte[] otherFields) {

    /** One vocabulary entry; its id is its index in {@link #pieces()}. */
    public record Piece(String piece, float score, PieceType type) {
        public Piece {
            Objects.requireNonNull(piece, "piece");
            Objects.requireNonNull(type, "type");
        }
    }

    public SentencePieceModel {
        pieces = List.copyOf(pieces);
        Objects.requireNonNull(trainerSpec, "trainerSpec");
        Objects.requireNonNull(normalizerSpec, "normalizerSpec");
        Objects.requireNonNull(denormalizerSpec, "denormalizerSpec");
        otherFields = otherFields.clone();
    }

    public SentencePieceModel(List<Piece> pieces, TrainerSpec trainerSpec, NormalizerSpec normalizerSpec) {
        this(pieces, trainerSpec, normalizerSpec, Optional.empty(), new byte[0]);
    }

    @Override
    public byte[] otherFields() {
        return otherFields.clone();
    }

    /**
     * Parses a {@code tokenizer.model}. Fails with an {@link InvalidModelException} on malformed
     * protobuf; checks on the vocabulary's consistency happen when a tokenizer is built from it.
     */
    public static SentencePieceModel parse(byte[] bytes) {
        ProtoReader in = new ProtoReader(bytes);
        List<Piece> pieces = new ArrayList<>();
        TrainerSpec trainer = TrainerSpec.defaults();
        NormalizerSpec normalizer = null;
        NormalizerSpec denormalizer = null;
        ProtoWriter other = new ProtoWriter();
        while (in.hasMore()) {
            int start = in.position();
            int tag = in.readTag();
            int field = ProtoReader.fieldNumber(tag);
            if (field >= 1 && field <= 3 || field == 5) {
                in.expect(tag, ProtoReader.LEN);
            }
            switch (field) {
                case 1 -> pieces.add(readPiece(in.readMessage()));
                case 2 -> trainer = TrainerSpec.read(in.readMessage());
                case 3 -> normalizer = NormalizerSpec.read(in.readMessage());
                case 5 -> denormalizer = NormalizerSpec.read(in.readMessage());
                default -> {
                    in.skip(tag);
                    other.writeRaw(in.bytesSince(start));
                }
            }
        }
        if (pieces.isEmpty()) {
            throw new InvalidModelException("not a SentencePiece model: no pieces (" + bytes.length + " bytes)");
        }
        if (normalizer == null) {
            normalizer = NormalizerSpec.read(new ProtoReader(new byte[0]));
        }
        return new SentencePieceModel(pieces, trainer, normalizer, Optional.ofNullable(denormalizer),
                other.toByteArray());
    }

    /** The model in protobuf wire format, as {@code spm_train} would store it. */
    public byte[] toBytes() {
        ProtoWriter out = new ProtoWriter();
        for (Piece p : pieces) {
            ProtoWriter piece = new ProtoWriter();
            piece.writeString(1, p.piece());
            piece.writeFloat(2, p.score());
            piece.writeInt32(3, p.type().number());
            out.writeMessage(1, piece);
        }
        ProtoWriter trainer = new ProtoWriter();
        trainerSpec.write(trainer);
        out.writeMessage(2, trainer);
        ProtoWriter normalizer = new ProtoWriter();
        normalizerSpec.write(normalizer);
        out.writeMessage(3, normalizer);
        denormalizerSpec.ifPresent(spec -> {
            ProtoWriter denormalizer = new ProtoWriter();
            spec.write(denormalizer);
            out.writeMessage(5, denormalizer);
        });
        out.writeRaw(otherFields);
        return out.toByteArray();
    }

    private static Piece readPiece(ProtoReader in) {
        String piece = "";
        float score = 0;
        PieceType type = PieceType.NORMAL;
        while (in.hasMore()) {
            int tag = in.readTag();
            switch (ProtoReader.fieldNumber(tag)) {
                case 1 -> {
                    in.expect(tag, ProtoReader.LEN);
                    piece = in.readString();
                }
                case 2 -> {
                    in.expect(tag, ProtoReader.FIXED32);
                    score = in.readFloat();
                }
                case 3 -> {
                    in.expect(tag, ProtoReader.VARINT);
                    type = PieceType.of(in.readInt32());
                }
                default -> in.skip(tag);
            }
        }
        return new Piece(piece, score, type);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SentencePieceModel m && pieces.equals(m.pieces) && trainerSpec.equals(m.trainerSpec)
                && normalizerSpec.equals(m.normalizerSpec) && denormalizerSpec.equals(m.denormalizerSpec)
                && java.util.Arrays.equals(otherFields, m.otherFields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(pieces, trainerSpec, normalizerSpec, denormalizerSpec);
    }

    @Override
    public String toString() {
        return "SentencePieceModel[" + pieces.size() + " pieces, " + trainerSpec + ", " + normalizerSpec + "]";
    }
}
