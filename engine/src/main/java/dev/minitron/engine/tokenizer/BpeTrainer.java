package dev.minitron.engine.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Trains a small byte-fallback BPE SentencePiece model for test checkpoints, laid out like
 * Minitron's: {@code <pad> <unk> <s> </s>} at ids 0–3, the 256 byte pieces, the corpus's
 * characters, then merged pieces in the order classic BPE learns them over whitespace-separated
 * words with a '▁' prefix (never across words, never merging a digit). A merge's score is minus its
 * rank, so SentencePiece's encoder applies merges in the learned order. Ties go to the
 * lexicographically smaller pair, so the same corpus and size always give identical bytes.
 */
public final class BpeTrainer {

    private static final String SPACE = "\u2581";
    private static final int SPECIALS = 4;
    private static final int BYTES = 256;

    private BpeTrainer() {
    }

    /**
     * @throws IllegalArgumentException if {@code vocabSize} is below 260 plus the corpus's distinct
     *     characters, or above what the corpus can supply merges for
     */
    public static SentencePieceModel train(String corpus, int vocabSize) {
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String word : corpus.split("\\s+")) {
            if (!word.isEmpty()) {
                wordCounts.merge(SPACE + word, 1, Integer::sum);
            }
        }
        List<String> symbols = characters(wordCounts);
        int base = SPECIALS + BYTES + symbols.size();
        if (vocabSize < base) {
            throw new IllegalArgumentException("vocabSize " + vocabSize + " is too small: this corpus needs at least "
                    + base + " (4 special + 256 byte + " + symbols.size() + " character pieces)");
        }
        Map<String, Integer> symbolIds = new HashMap<>();
        for (int i = 0; i < symbols.size(); i++) {
            symbolIds.put(symbols.get(i), i);
        }
        List<int[]> words = new ArrayList<>();
        int[] counts = new int[wordCounts.size()];
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            counts[words.size()] = e.getValue();
            words.add(e.getKey().codePoints().map(cp -> symbolIds.get(Character.toString(cp))).toArray());
        }
        int characters = symbols.size();
        int merges = 0;
        while (base + merges < vocabSize) {
            long best = bestPair(words, counts, symbols);
            if (best < 0) {
                throw new IllegalArgumentException("vocabSize " + vocabSize + " is too large: this corpus runs out of "
                        + "merges at " + (base + merges) + " pieces");
            }
            int a = (int) (best >>> 32), b = (int) best;
            String merged = symbols.get(a) + symbols.get(b);
            Integer id = symbolIds.get(merged);
            if (id == null) { // the same text can arise from two different pairs; it is one piece
                id = symbols.size();
                symbols.add(merged);
                symbolIds.put(merged, id);
                merges++;
            }
            for (int w = 0; w < words.size(); w++) {
                words.set(w, applyMerge(words.get(w), a, b, id));
            }
        }
        return model(symbols, characters, vocabSize);
    }

    /** A few KB of varied English prose: the default training text of the tiny test checkpoints. */
    public static String defaultCorpus() {
        try (InputStream in = BpeTrainer.class.getResourceAsStream("corpus.txt")) {
            if (in == null) {
                throw new IllegalStateException("resource dev/minitron/engine/tokenizer/corpus.txt is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Distinct characters, most frequent first, ties by code point. */
    private static List<String> characters(Map<String, Integer> wordCounts) {
        Map<String, Integer> charCounts = new HashMap<>();
        wordCounts.forEach((word, n) -> word.codePoints().forEach(cp -> charCounts.merge(Character.toString(cp), n, Integer::sum)));
        List<String> chars = new ArrayList<>(charCounts.keySet());
        chars.sort(Comparator.comparing((String c) -> -charCounts.get(c)).thenComparingInt(c -> c.codePointAt(0)));
        return chars;
    }

    /** The most frequent adjacent pair as {@code left << 32 | right}, or −1 when nothing can merge. */
    private static long bestPair(List<int[]> words, int[] counts, List<String> symbols) {
        Map<Long, Integer> pairCounts = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            int[] word = words.get(w);
            for (int i = 0; i + 1 < word.length; i++) {
                if (!isDigit(symbols.get(word[i])) && !isDigit(symbols.get(word[i + 1]))) {
                    pairCounts.merge((long) word[i] << 32 | word[i + 1], counts[w], Integer::sum);
                }
            }
        }
        long best = -1;
        int bestCount = 0;
        for (Map.Entry<Long, Integer> e : pairCounts.entrySet()) {
            long pair = e.getKey();
            int n = e.getValue();
            if (n > bestCount || n == bestCount && comparePairs(pair, best, symbols) < 0) {
                best = pair;
                bestCount = n;
            }
        }
        return best;
    }

    private static int comparePairs(long p, long q, List<String> symbols) {
        int c = symbols.get((int) (p >>> 32)).compareTo(symbols.get((int) (q >>> 32)));
        return c != 0 ? c : symbols.get((int) p).compareTo(symbols.get((int) q));
    }

    private static int[] applyMerge(int[] word, int a, int b, int merged) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == a && word[i + 1] == b) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return n == word.length ? word : java.util.Arrays.copyOf(out, n);
    }

    private static boolean isDigit(String symbol) {
        return symbol.length() == 1 && symbol.charAt(0) >= '0' && symbol.charAt(0) <= '9';
    }

    private static SentencePieceModel model(List<String> symbols, int characters, int vocabSize) {
        List<SentencePieceModel.Piece> pieces = new ArrayList<>(vocabSize);
        pieces.add(new SentencePieceModel.Piece("<pad>", 0, PieceType.CONTROL));
        pieces.add(new SentencePieceModel.Piece("<unk>", 0, PieceType.UNKNOWN));
        pieces.add(new SentencePieceModel.Piece("<s>", 0, PieceType.CONTROL));
        pieces.add(new SentencePieceModel.Piece("</s>", 0, PieceType.CONTROL));
        for (int b = 0; b < BYTES; b++) {
            pieces.add(new SentencePieceModel.Piece(Vocabulary.bytePiece(b), 0, PieceType.BYTE));
        }
        int merges = symbols.size() - characters;
        for (int i = 0; i < symbols.size(); i++) {
            // merge k scores −k; characters rank below every merge (their scores never decide a merge)
            float score = i < characters ? -(merges + i) : -(i - characters);
            pieces.add(new SentencePieceModel.Piece(symbols.get(i), score, PieceType.NORMAL));
        }
        TrainerSpec trainer = new TrainerSpec(TrainerSpec.ModelType.BPE, vocabSize, true, true, false,
                new TrainerSpec.SpecialPiece(1, "<unk>"), new TrainerSpec.SpecialPiece(2, "<s>"),
                new TrainerSpec.SpecialPiece(3, "</s>"), new TrainerSpec.SpecialPiece(0, "<pad>"),
                TrainerSpec.DEFAULT_UNK_SURFACE, new byte[0]);
        return new SentencePieceModel(pieces, trainer, NormalizerSpec.identity(true, false, true));
    }
}
