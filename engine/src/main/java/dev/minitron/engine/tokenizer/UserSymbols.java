package dev.minitron.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The USER_DEFINED pieces, which SentencePiece matches before anything else (longest first) and
 * then never normalizes, splits or merges.
 */
final class UserSymbols {

    static final UserSymbols NONE = new UserSymbols(List.of());

    private final byte[][][] byFirstByte; // [256][symbols starting with that byte, longest first]
    private final boolean empty;

    UserSymbols(List<byte[]> symbols) {
        List<List<byte[]>> groups = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            groups.add(new ArrayList<>());
        }
        for (byte[] s : symbols) {
            if (s.length > 0) {
                groups.get(s[0] & 0xFF).add(s);
            }
        }
        byFirstByte = new byte[256][][];
        for (int i = 0; i < 256; i++) {
            groups.get(i).sort(Comparator.comparingInt((byte[] s) -> s.length).reversed());
            byFirstByte[i] = groups.get(i).toArray(byte[][]::new);
        }
        empty = symbols.isEmpty();
    }

    /** Length of the longest symbol that starts {@code s[from, to)}, or 0 when none does. */
    int match(byte[] s, int from, int to) {
        if (empty || from >= to) {
            return 0;
        }
        for (byte[] symbol : byFirstByte[s[from] & 0xFF]) {
            if (Utf8.startsWith(s, from, to, symbol)) {
                return symbol.length;
            }
        }
        return 0;
    }
}
