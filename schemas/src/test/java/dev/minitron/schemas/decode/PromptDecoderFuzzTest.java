package dev.minitron.schemas.decode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.ErrorEvent.SourceRef;
import dev.minitron.schemas.Examples;
import dev.minitron.schemas.PromptEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.schemas.json.WireSchema;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of broken, odd and hostile prompt records: the decoder answers each with an event or
 * an {@link InvalidPromptException} that is not {@code internal}, and every answer can be written
 * as a valid event, so no record ever goes unanswered.
 */
class PromptDecoderFuzzTest {
    private static final long SEED = 20_260_101L;
    private static final int MUTANTS_PER_SEED = 1_700; // 5 seeds × (1,700 + 425) > 10,000 cases (issue 9)

    private final Random random = new Random(SEED);
    private final PromptDecoder decoder = new PromptDecoder(64 * 1024);
    private final List<String> failures = new ArrayList<>();
    private int accepted;
    private int rejected;

    @Test
    void everyInputGetsAnEventOrAnInvalidPromptExceptionThatCanBeAnswered() throws Exception {
        List<byte[]> seeds = new ArrayList<>();
        Examples.of(WireSchema.PROMPT).forEach(example -> seeds.add(example.bytes()));
        for (byte[] seed : seeds) {
            for (int i = 0; i < MUTANTS_PER_SEED; i++) {
                check(mutate(seed));
            }
            for (int i = 0; i < MUTANTS_PER_SEED / 4; i++) {
                check(withWrongValue(seed));
            }
        }
        for (byte[] hostile : hostileInputs()) {
            check(hostile);
        }

        assertThat(failures).isEmpty();
        assertThat(accepted + rejected).isGreaterThan(10_000);
        System.out.printf("prompt decoder fuzz: %d cases, %d accepted, %d rejected with an answerable error%n",
                accepted + rejected, accepted, rejected);
        assertThat(rejected).isGreaterThan(accepted / 4);
    }

    private void check(byte[] input) {
        try {
            PromptEvent event = decoder.decode(input);
            accepted++;
            byte[] bytes = WireJson.writer().writeValueAsBytes(event);
            JsonNode written = WireJson.reader().readTree(bytes);
            if (!isUtf8(bytes) || !WireSchema.PROMPT.validate(written).isEmpty()) {
                failures.add("accepted, but wrote invalid JSON: " + written);
            }
        } catch (InvalidPromptException e) {
            rejected++;
            if (e.code() == ErrorCode.INTERNAL) {
                failures.add("internal error for " + show(input) + ": " + e.getMessage());
            }
            answerable(e, input);
        } catch (Throwable t) {
            failures.add(t + " for " + show(input));
        }
    }

    private void answerable(InvalidPromptException e, byte[] input) {
        ErrorEvent answer = e.toErrorEvent(new SourceRef("minitron.prompts", 0, 1), input, "w", 1);
        try {
            byte[] bytes = WireJson.writer().writeValueAsBytes(answer);
            JsonNode written = WireJson.reader().readTree(bytes);
            if (!isUtf8(bytes) || !WireSchema.ERROR.validate(written).isEmpty()) {
                failures.add("error event is invalid: " + written);
            }
        } catch (Exception writeFailure) {
            failures.add("error event cannot be written: " + writeFailure + " for " + show(input));
        }
    }

    /** Jackson writes an unpaired surrogate as CESU-8 bytes, which no strict reader accepts. */
    private static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private byte[] mutate(byte[] seed) {
        byte[] out = seed.clone();
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && out.length > 0; i++) {
            int at = random.nextInt(out.length);
            out = switch (random.nextInt(6)) {
                case 0 -> Arrays.copyOf(out, at);
                case 1 -> flipBit(out, at);
                case 2 -> insert(out, at, randomBytes(1 + random.nextInt(8)));
                case 3 -> insert(out, at, pick(TOKENS).getBytes(StandardCharsets.UTF_8));
                case 4 -> delete(out, at, 1 + random.nextInt(16));
                default -> duplicate(out, at, 1 + random.nextInt(32));
            };
        }
        return out;
    }

    /** A valid prompt with one field set to a value of the wrong type or out of range. */
    private byte[] withWrongValue(byte[] seed) throws Exception {
        ObjectNode tree = (ObjectNode) WireJson.reader().readTree(seed);
        String field = pick(FIELDS);
        tree.set(field, WireJson.reader().readTree(pick(VALUES)));
        return WireJson.writer().writeValueAsBytes(tree);
    }

    private List<byte[]> hostileInputs() {
        List<String> texts = new ArrayList<>(List.of(
                "", " ", "null", "true", "0", "\"id\"", "[]", "{}", "{\"id\":null}", "{\"id\":{}}",
                "{\"id\":\"a\",\"prompt\":\"\\ud800\"}", "{\"\\udc00\":1}", "{\"id\":\"\\ud800\",\"prompt\":1}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"seed\":" + "9".repeat(999) + "}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"seed\":" + "9".repeat(1001) + "}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"temperature\":1e999999999}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"max_tokens\":-1e999999999}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"top_k\":1e-999999999}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"timeout_ms\":1.8446744073709551617e19}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"priority\":2147483648.0}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"deadline\":\"9999-12-31T23:59:60Z\"}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"deadline\":\"2026-01-01T00:00:00.1234567891Z\"}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"deadline\":\"2026-01-01T00:00:00-00:00\"}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"metadata\":{" + "\"k\":\"v\",".repeat(70) + "\"z\":\"v\"}}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"" + "n".repeat(5000) + "\":1}",
                "{\"id\":\"a\",\"prompt_token_ids\":[" + "1,".repeat(10_000) + "1]}",
                "{\"id\":\"a\",\"prompt\":\"x\",\"stop\":" + "[".repeat(31) + "]".repeat(31) + "}"));
        for (int depth : new int[] {30, 31, 32, 33, 1_000, 100_000}) {
            texts.add("[".repeat(depth) + "]".repeat(depth));
            texts.add("{\"id\":\"a\",\"prompt\":\"x\",\"metadata\":" + "{\"a\":".repeat(depth));
        }
        List<byte[]> inputs = new ArrayList<>();
        texts.forEach(text -> inputs.add(text.getBytes(StandardCharsets.UTF_8)));
        inputs.add(null);
        inputs.add(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        inputs.add(new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'});
        inputs.add(new byte[70_000]);
        for (int i = 0; i < 200; i++) {
            inputs.add(randomBytes(random.nextInt(64)));
        }
        return inputs;
    }

    private static final List<String> TOKENS = List.of("{", "}", "[", "]", ",", ":", "\"",
            "\\", "\\u", "\\ud800", "null", "-", "1e400", "0.0", "\"id\":", "\"max_tokens\":",
            "\u0000", "é", "😀", "\uFEFF", "\n");
    private static final List<String> FIELDS = List.of("id", "prompt", "prompt_token_ids",
            "max_tokens", "temperature", "top_p", "top_k", "min_p", "repetition_penalty",
            "presence_penalty", "frequency_penalty", "seed", "stop", "stop_token_ids", "ignore_eos",
            "logprobs", "stream", "priority", "timeout_ms", "deadline", "tenant", "metadata", "extra");
    private static final List<String> VALUES = List.of("null", "true", "0", "-1", "1.5", "-0.0",
            "1e308", "-1e308", "1e400", "4.9e-324", "2147483648", "-2147483649", "9223372036854775808",
            "123456789012345678901234567890", "\"\"", "\"x\"", "\"2026-02-30T00:00:00Z\"", "[]", "[-1]",
            "[1.5]", "[\"a\"]", "[null]", "{}", "{\"k\":null}", "{\"\":\"v\"}", "[[[[[]]]]]");

    private String pick(List<String> options) {
        return options.get(random.nextInt(options.size()));
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private byte[] flipBit(byte[] in, int at) {
        in[at] ^= (byte) (1 << random.nextInt(8));
        return in;
    }

    private static byte[] insert(byte[] in, int at, byte[] piece) {
        byte[] out = new byte[in.length + piece.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(piece, 0, out, at, piece.length);
        System.arraycopy(in, at, out, at + piece.length, in.length - at);
        return out;
    }

    private static byte[] delete(byte[] in, int at, int length) {
        int end = Math.min(in.length, at + length);
        byte[] out = new byte[in.length - (end - at)];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(in, end, out, at, in.length - end);
        return out;
    }

    private static byte[] duplicate(byte[] in, int at, int length) {
        int end = Math.min(in.length, at + length);
        return insert(in, end, Arrays.copyOfRange(in, at, end));
    }

    private static String show(byte[] input) {
        if (input == null) {
            return "null";
        }
        String text = new String(input, StandardCharsets.UTF_8);
        return text.length() <= 200 ? text : text.substring(0, 200) + "… (" + input.length + " bytes)";
    }
}
