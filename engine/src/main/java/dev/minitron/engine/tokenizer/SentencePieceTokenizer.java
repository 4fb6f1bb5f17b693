package dev.minitron.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * A SentencePiece BPE model, encoding and decoding exactly as the SentencePiece library (0.1.97):
 * normalize, segment with {@link BpeEncoder}, map pieces to ids with byte fallback (or {@code <unk>},
 * a run of unknown characters giving one {@code <unk>}), and on the way back join pieces, reassemble
 * byte pieces as UTF-8 and drop the dummy-prefix space. {@code <unk>} decodes, and streams, as the
 * model's unk surface ({@code " ⁇ "} by default), as SentencePiece does. Immutable and thread-safe.
 */
public final class SentencePieceTokenizer implements Tokenizer {

    private final Vocabulary vocab;
    private final SpmNormalizer normalizer;
    private final Optional<SpmNormalizer> denormalizer;
    private final BpeEncoder encoder;
    private final NormalizerSpec normalizerSpec;
    private final byte[] unkSurface;
    private final byte[][] tokenBytes; // [vocab] what each id contributes to streamed text
    private final boolean addBos;
    private final boolean addEos;
    private final int bosId;
    private final int eosId;

    public SentencePieceTokenizer(SentencePieceModel model) {
        this(model, TokenizerConfig.defaults());
    }

    public SentencePieceTokenizer(SentencePieceModel model, TokenizerConfig config) {
        TrainerSpec trainer = model.trainerSpec();
        if (trainer.modelType() != TrainerSpec.ModelType.BPE) {
            throw new InvalidModelException("unsupported SentencePiece model type " + trainer.modelType()
                    + ": only BPE models are implemented");
        }
        vocab = new Vocabulary(model);
        normalizerSpec = model.normalizerSpec();
        normalizer = new SpmNormalizer(normalizerSpec, trainer.treatWhitespaceAsSuffix(), vocab.userSymbols);
        denormalizer = model.denormalizerSpec()
                .filter(spec -> spec.precompiledCharsmap().length > 0)
                .map(spec -> new SpmNormalizer(spec, false, UserSymbols.NONE));
        encoder = new BpeEncoder(vocab.mergeable, vocab.scores, vocab.unused, vocab.userSymbols);
        unkSurface = trainer.unkSurface().getBytes(StandardCharsets.UTF_8);
        tokenBytes = new byte[vocab.size][];
        for (int id = 0; id < vocab.size; id++) {
            tokenBytes[id] = streamedBytes(id);
        }
        bosId = specialId(config.bosToken(), trainer.bos(), "bos_token");
        eosId = specialId(config.eosToken(), trainer.eos(), "eos_token");
        addBos = config.addBosToken();
        addEos = config.addEosToken();
        if (addBos && bosId < 0 || addEos && eosId < 0) {
            throw new InvalidModelException("the tokenizer configuration adds " + (addBos && bosId < 0 ? "BOS" : "EOS")
                    + " but the model has no such control piece");
        }
    }

    @Override
    public int[] encode(String text) {
        int[] raw = encodeRaw(text);
        int head = addBos ? 1 : 0;
        int[] ids = new int[head + raw.length + (addEos ? 1 : 0)];
        if (addBos) {
            ids[0] = bosId;
        }
        System.arraycopy(raw, 0, ids, head, raw.length);
        if (addEos) {
            ids[ids.length - 1] = eosId;
        }
        return ids;
    }

    @Override
    public int[] encodeRaw(String text) {
        return encodeRawUtf8(Utf8.encode(text));
    }

    /**
     * {@link #encodeRaw} of UTF-8 bytes that need not be valid: as in SentencePiece, every byte that
     * does not start a valid character becomes one U+FFFD, so results match {@code spm_encode} fed
     * the same bytes (Java's own decoder may fold several bad bytes into one U+FFFD).
     */
    public int[] encodeRawUtf8(byte[] utf8) {
        byte[] normalized = normalizer.normalize(utf8);
        int[] bounds = encoder.segment(normalized);
        int[] ids = new int[normalized.length]; // a piece yields one id, or one per byte under byte fallback
        int n = 0;
        boolean prevUnknown = false;
        for (int i = 0; i + 1 < bounds.length; i++) {
            int id = vocab.pieceToId(normalized, bounds[i], bounds[i + 1]);
            boolean unknown = id == vocab.unkId;
            if (unknown && vocab.byteFallback) {
                for (int b = bounds[i]; b < bounds[i + 1]; b++) {
                    ids[n++] = vocab.byteToId[normalized[b] & 0xFF];
                }
            } else if (!(unknown && prevUnknown)) {
                ids[n++] = id;
            }
            prevUnknown = unknown;
        }
        return Arrays.copyOf(ids, n);
    }

    @Override
    public String decode(int[] ids) {
        ByteSink text = new ByteSink(ids.length * 4);
        boolean atStart = true;     // SentencePiece's is_bos_ws: a leading '▁' may still be dropped
        boolean droppedSpace = false;
        int byteRun = 0;            // where the pending run of byte pieces starts
        for (int i = 0; i < ids.length; i++) {
            int id = checkId(ids[i]);
            if (vocab.types[id] == PieceType.BYTE) {
                continue;
            }
            appendBytePieces(ids, byteRun, i, text);
            byteRun = i + 1;
            if (droppedSpace || text.size() > 0) {
                atStart = false;
            }
            droppedSpace = appendPiece(id, atStart, text);
        }
        appendBytePieces(ids, byteRun, ids.length, text);
        byte[] out = text.toByteArray();
        return new String(denormalizer.map(d -> d.normalize(out)).orElse(out), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return tokenBytes[checkId(id)].clone();
    }

    @Override
    public int vocabSize() {
        return vocab.size;
    }

    /** The BOS id; −1 only when the model has no BOS control piece, the config names none and BOS is not added. */
    @Override
    public int bosId() {
        return bosId;
    }

    /** The EOS id; −1 only when the model has no EOS control piece, the config names none and EOS is not added. */
    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public boolean addsBos() {
        return addBos;
    }

    public boolean addsEos() {
        return addEos;
    }

    /** The piece text of an id, e.g. {@code "▁the"} or {@code "<0x0A>"}. */
    public String piece(int id) {
        return new String(vocab.utf8[checkId(id)], StandardCharsets.UTF_8);
    }

    /** Appends one non-byte piece; returns whether it consumed the dummy-prefix space. */
    private boolean appendPiece(int id, boolean atStart, ByteSink text) {
        switch (vocab.types[id]) {
            case CONTROL -> {
                return false;
            }
            case UNKNOWN -> {
                text.append(unkSurface);
                return false;
            }
            default -> {
                byte[] piece = vocab.utf8[id];
                int from = 0;
                boolean dropped = false;
                if (atStart && (normalizerSpec.addDummyPrefix() || normalizerSpec.removeExtraWhitespaces())
                        && Utf8.startsWith(piece, 0, piece.length, Utf8.SPACE_SYMBOL)) {
                    from = Utf8.SPACE_SYMBOL.length;
                    // with remove_extra_whitespaces every leading space goes, so keep looking
                    dropped = !normalizerSpec.removeExtraWhitespaces();
                }
                appendUnescaped(piece, from, text);
                return dropped;
            }
        }
    }

    /** Byte pieces {@code ids[from, to)} as UTF-8; each malformed byte becomes U+FFFD. */
    private void appendBytePieces(int[] ids, int from, int to, ByteSink text) {
        if (from >= to) {
            return;
        }
        byte[] bytes = new byte[to - from];
        for (int i = from; i < to; i++) {
            bytes[i - from] = (byte) vocab.byteValue[ids[i]];
        }
        Utf8.appendLenient(bytes, 0, bytes.length, text);
    }

    private byte[] streamedBytes(int id) {
        return switch (vocab.types[id]) {
            case CONTROL -> new byte[0];
            case UNKNOWN -> unkSurface.clone();
            case BYTE -> new byte[] {(byte) vocab.byteValue[id]};
            case NORMAL, USER_DEFINED, UNUSED -> {
                ByteSink out = new ByteSink(vocab.utf8[id].length);
                appendUnescaped(vocab.utf8[id], 0, out);
                yield out.toByteArray();
            }
        };
    }

    /** Appends {@code piece[from..]} with every '▁' turned back into ' '. */
    private static void appendUnescaped(byte[] piece, int from, ByteSink out) {
        for (int i = from; i < piece.length; ) {
            if (Utf8.startsWith(piece, i, piece.length, Utf8.SPACE_SYMBOL)) {
                out.append((byte) ' ');
                i += Utf8.SPACE_SYMBOL.length;
            } else {
                out.append(piece[i++]);
            }
        }
    }

    private int specialId(Optional<String> configured, TrainerSpec.SpecialPiece fromModel, String key) {
        if (configured.isPresent()) {
            int id = vocab.find(configured.get());
            if (id == PieceIndex.ABSENT) {
                throw new InvalidModelException(TokenizerConfig.FILE_NAME + " " + key + " '" + configured.get()
                        + "' is not in the vocabulary");
            }
            return id;
        }
        int id = vocab.find(fromModel.piece());
        return id != PieceIndex.ABSENT && vocab.types[id] == PieceType.CONTROL ? id : -1;
    }

    private int checkId(int id) {
        if (id < 0 || id >= vocab.size) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab.size + ")");
        }
        return id;
    }
}
