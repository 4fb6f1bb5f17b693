package dev.minitron.engine.tokenizer;

/** {@code ModelProto.SentencePiece.Type}: what a vocabulary entry is for. */
public enum PieceType {
    NORMAL(1),
    /** The single {@code <unk>}. */
    UNKNOWN(2),
    /** {@code <s>}, {@code </s>}, {@code <pad>}: never produced from text, decoded to nothing. */
    CONTROL(3),
    /** Always kept whole when it appears in text, never merged with neighbours. */
    USER_DEFINED(4),
    UNUSED(5),
    /** {@code <0x00>}..{@code <0xFF>}: one UTF-8 byte, for byte fallback. */
    BYTE(6);

    private final int number;

    PieceType(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    static PieceType of(int number) {
        for (PieceType t : values()) {
            if (t.number == number) {
                return t;
            }
        }
        throw new InvalidModelException("corrupt model: unknown piece type " + number);
    }
}
