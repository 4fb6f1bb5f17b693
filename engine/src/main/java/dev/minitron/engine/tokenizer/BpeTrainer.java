package dev.minitron.engine.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

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
        Map<String, Integer> wordCounts = wordCounts(corpus);
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
        PairCounts pairs = new PairCounts(symbols);
        for (int w = 0; w < words.size(); w++) {
            pairs.add(words.get(w), w, counts[w]);
        }
        while (base + merges < vocabSize) {
            long best = pairs.best();
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
            for (int w : pairs.wordsWith(best)) {
                int[] before = words.get(w);
                int[] after = applyMerge(before, a, b, id);
                if (after != before) {
                    pairs.remove(before, counts[w]);
                    words.set(w, after);
                    pairs.add(after, w, counts[w]);
                }
            }
        }
        return model(symbols, characters, vocabSize);
    }

    /**
     * About 11 KB of varied English prose, the training text of the tiny test checkpoints. It
     * supports vocabulary sizes from 335 to 2653.
     */
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

    /** Each whitespace-separated word with its '▁' prefix, and how often it occurs. */
    private static Map<String, Integer> wordCounts(String corpus) {
        Map<String, Integer> counts = new TreeMap<>();
        for (String word : corpus.split("\\s+")) {
            if (!word.isEmpty()) {
                counts.merge(SPACE + word, 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Distinct characters, most frequent first, ties by code point. */
    private static List<String> characters(Map<String, Integer> wordCounts) {
        Map<String, Integer> charCounts = new HashMap<>();
        wordCounts.forEach((word, n) -> word.codePoints().forEach(cp -> charCounts.merge(Character.toString(cp), n, Integer::sum)));
        List<String> chars = new ArrayList<>(charCounts.keySet());
        chars.sort(Comparator.comparing((String c) -> -charCounts.get(c)).thenComparingInt(c -> c.codePointAt(0)));
        return chars;
    }

    /**
     * Corpus-wide counts of adjacent symbol pairs (as {@code left << 32 | right}), kept up to date
     * merge by merge, with the words each pair occurs in. Pairs touching a digit are never counted.
     */
    private static final class PairCounts {
        private final List<String> symbols;
        private final Map<Long, Integer> counts = new HashMap<>();
        private final Map<Long, Set<Integer>> words = new HashMap<>(); // may list words that lost the pair

        PairCounts(List<String> symbols) {
            this.symbols = symbols;
        }

        void add(int[] word, int w, int n) {
            for (int i = 0; i + 1 < word.length; i++) {
                if (mergeable(word[i], word[i + 1])) {
                    long pair = (long) word[i] << 32 | word[i + 1];
                    counts.merge(pair, n, Integer::sum);
                    words.computeIfAbsent(pair, k -> new TreeSet<>()).add(w);
                }
            }
        }

        void remove(int[] word, int n) {
            for (int i = 0; i + 1 < word.length; i++) {
                if (mergeable(word[i], word[i + 1])) {
                    counts.merge((long) word[i] << 32 | word[i + 1], -n, (x, y) -> x + y == 0 ? null : x + y);
                }
            }
        }

        List<Integer> wordsWith(long pair) {
            return List.copyOf(words.remove(pair));
        }

        /** The most frequent pair, ties to the lexicographically smaller one; −1 when none is left. */
        long best() {
            long best = -1;
            int bestCount = 0;
            for (Map.Entry<Long, Integer> e : counts.entrySet()) {
                int n = e.getValue();
                if (n > bestCount || n == bestCount && compare(e.getKey(), best) < 0) {
                    best = e.getKey();
                    bestCount = n;
                }
            }
            return best;
        }

        private boolean mergeable(int left, int right) {
            return !isDigit(symbols.get(left)) && !isDigit(symbols.get(right));
        }

        private int compare(long p, long q) {
            int c = symbols.get((int) (p >>> 32)).compareTo(symbols.get((int) (q >>> 32)));
            return c != 0 ? c : symbols.get((int) p).compareTo(symbols.get((int) q));
        }
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
        return n == word.length ? word : Arrays.copyOf(out, n);
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
