package dev.minitron.engine.tokenizer;

/** The small models the tests share; training one takes a few milliseconds. */
final class TestModels {

    static final int VOCAB = 600;

    private TestModels() {
    }

    static SentencePieceModel trained() {
        return BpeTrainer.train(BpeTrainer.defaultCorpus(), VOCAB);
    }

    static SentencePieceTokenizer tokenizer() {
        return new SentencePieceTokenizer(trained());
    }

    static int id(SentencePieceTokenizer tokenizer, String piece) {
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.piece(id).equals(piece)) {
                return id;
            }
        }
        throw new AssertionError("no piece " + piece);
    }
}
