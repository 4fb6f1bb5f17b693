package dev.minitron.engine.tokenizer;

/**
 * Text to token ids and back. Implementations are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /** Encodes text into ids, adding BOS/EOS exactly as the model's tokenizer configuration says. */
    int[] encode(String text);

    /** Encodes text into ids without any special tokens. */
    int[] encodeRaw(String text);

    /** Decodes ids into text; special/control tokens decode to nothing. */
    String decode(int[] ids);

    /**
     * The raw bytes a token contributes to the output, as the streaming detokenizer sees them:
     * '▁' already turned into a space, byte-fallback tokens as their single byte, control
     * tokens empty. Concatenating the bytes of a completion's tokens gives its UTF-8 text
     * (vLLM-style: a leading '▁' on the first completion token stays a space).
     */
    byte[] tokenBytes(int id);

    int vocabSize();

    int bosId();

    int eosId();

    /** Whether {@link #encode} prepends BOS (tokenizer_config.json {@code add_bos_token}). */
    boolean addsBos();
}
