package dev.minitron.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The validated piece table of a SentencePiece model, in the shapes the encoder and decoder use.
 * Built with SentencePiece's own checks: no empty or duplicate pieces, exactly one {@code <unk>},
 * and all 256 byte pieces exactly when byte fallback is on.
 */
final class Vocabulary {

    final int size;
    final byte[][] utf8;       // [size] piece text
    final PieceType[] types;   // [size]
    final float[] scores;      // [size]
    final boolean[] unused;    // [size]
    final int[] byteValue;     // [size] the byte a BYTE piece stands for, else -1
    final int[] byteToId;      // [256] id of <0xXX>; all -1 without byte fallback
    final int unkId;
    final boolean byteFallback;
    final PieceIndex mergeable = new PieceIndex(); // NORMAL, USER_DEFINED, UNUSED: what BPE may form
    final PieceIndex reserved = new PieceIndex();  // UNKNOWN, CONTROL, BYTE
    final UserSymbols userSymbols;

    Vocabulary(SentencePieceModel model) {
        List<SentencePieceModel.Piece> pieces = model.pieces();
        size = pieces.size();
        utf8 = new byte[size][];
        types = new PieceType[size];
        scores = new float[size];
        unused = new boolean[size];
        byteValue = new int[size];
        byteToId = new int[256];
        java.util.Arrays.fill(byteToId, -1);
        byteFallback = model.trainerSpec().byteFallback();
        List<byte[]> userDefined = new ArrayList<>();
        int unk = -1;
        for (int id = 0; id < size; id++) {
            SentencePieceModel.Piece p = pieces.get(id);
            if (p.piece().isEmpty()) {
                throw new InvalidModelException("piece " + id + " is empty");
            }
            utf8[id] = p.piece().getBytes(StandardCharsets.UTF_8);
            types[id] = p.type();
            scores[id] = p.score();
            unused[id] = p.type() == PieceType.UNUSED;
            byteValue[id] = -1;
            boolean normal = switch (p.type()) {
                case NORMAL, USER_DEFINED, UNUSED -> true;
                case UNKNOWN, CONTROL, BYTE -> false;
            };
            if (!(normal ? mergeable : reserved).add(utf8[id], id)) {
                throw new InvalidModelException("piece '" + p.piece() + "' (id " + id + ") is defined twice");
            }
            switch (p.type()) {
                case USER_DEFINED -> userDefined.add(utf8[id]);
                case UNKNOWN -> {
                    if (unk >= 0) {
                        throw new InvalidModelException("two <unk> pieces: ids " + unk + " and " + id);
                    }
                    unk = id;
                }
                case BYTE -> registerBytePiece(p.piece(), id);
                default -> { }
            }
        }
        if (unk < 0) {
            throw new InvalidModelException("no piece of type UNKNOWN (<unk>) in the vocabulary");
        }
        for (int b = 0; byteFallback && b < 256; b++) {
            if (byteToId[b] < 0) {
                throw new InvalidModelException("byte_fallback is on but piece " + bytePiece(b) + " is missing");
            }
        }
        unkId = unk;
        userSymbols = userDefined.isEmpty() ? UserSymbols.NONE : new UserSymbols(userDefined);
    }

    /** SentencePiece's {@code PieceToId}: reserved pieces first, then the rest, else {@code <unk>}. */
    int pieceToId(byte[] s, int from, int to) {
        int id = reserved.find(s, from, to);
        if (id == PieceIndex.ABSENT) {
            id = mergeable.find(s, from, to);
        }
        return id == PieceIndex.ABSENT ? unkId : id;
    }

    /** The id of a piece given as text, or {@link PieceIndex#ABSENT}. */
    int find(String piece) {
        byte[] s = piece.getBytes(StandardCharsets.UTF_8);
        int id = reserved.find(s, 0, s.length);
        return id != PieceIndex.ABSENT ? id : mergeable.find(s, 0, s.length);
    }

    static String bytePiece(int b) {
        return String.format("<0x%02X>", b);
    }

    private void registerBytePiece(String piece, int id) {
        if (!byteFallback) {
            throw new InvalidModelException("byte piece " + piece + " (id " + id + ") found although byte_fallback is off");
        }
        int b = piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")
                ? parseHex(piece.substring(3, 5)) : -1;
        if (b < 0 || !bytePiece(b).equals(piece)) {
            throw new InvalidModelException("byte piece '" + piece + "' (id " + id + ") is not of the form <0xXX>");
        }
        byteValue[id] = b;
        byteToId[b] = id;
    }

    private static int parseHex(String hex) {
        try {
            return Integer.parseInt(hex, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
