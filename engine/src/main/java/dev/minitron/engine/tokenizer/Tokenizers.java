package dev.minitron.engine.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads the tokenizer that ships with a checkpoint. */
public final class Tokenizers {

    public static final String MODEL_FILE = "tokenizer.model";
    public static final String HF_JSON_FILE = "tokenizer.json";

    // tokenizer.model of a 256k vocabulary is ~4.5 MB; anything this large is the wrong file
    private static final long MAX_MODEL_BYTES = 256L << 20;

    private Tokenizers() {
    }

    /**
     * Reads {@code tokenizer.model} (SentencePiece) and the optional {@code tokenizer_config.json}
     * from a model directory. Every failure names the file it concerns.
     *
     * @throws InvalidModelException if a file is missing, corrupt or of an unsupported kind
     * @throws UncheckedIOException if a file exists but cannot be read
     */
    public static Tokenizer load(Path modelDir) {
        Path modelFile = modelDir.resolve(MODEL_FILE);
        if (!Files.isRegularFile(modelFile)) {
            if (Files.isRegularFile(modelDir.resolve(HF_JSON_FILE))) {
                throw new InvalidModelException(modelFile + " not found: " + modelDir + " has only " + HF_JSON_FILE
                        + ", which this engine cannot read yet (Hugging Face tokenizer.json support is a later issue)");
            }
            throw new InvalidModelException(modelFile + " not found: the checkpoint needs its SentencePiece "
                    + MODEL_FILE);
        }
        SentencePieceModel model;
        try {
            model = SentencePieceModel.parse(readModel(modelFile));
        } catch (InvalidModelException e) {
            throw new InvalidModelException(modelFile + ": " + e.getMessage(), e);
        }
        TokenizerConfig config = TokenizerConfig.read(modelDir.resolve(TokenizerConfig.FILE_NAME));
        try {
            return new SentencePieceTokenizer(model, config);
        } catch (InvalidModelException e) {
            throw new InvalidModelException(modelFile + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readModel(Path modelFile) {
        try {
            long size = Files.size(modelFile);
            if (size > MAX_MODEL_BYTES) {
                throw new InvalidModelException(size + " bytes is too large for a tokenizer model");
            }
            return Files.readAllBytes(modelFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + modelFile, e);
        }
    }
}
