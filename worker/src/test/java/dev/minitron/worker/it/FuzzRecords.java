package dev.minitron.worker.it;

import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Prompt records generated from a seed: good greedy prompts mixed with every kind of bad input a
 * producer can write, each with the answer the contract promises for it.
 */
final class FuzzRecords {

    /** What a record must get: a completion (good, or answered with a completion error) or one error event. */
    enum Expect { COMPLETION, COMPLETION_ERROR, ERROR_EVENT, ANY_ONE_ANSWER }

    enum Kind {
        GOOD(Expect.COMPLETION, Set.of()),
        TRUNCATED_JSON(Expect.ERROR_EVENT, Set.of("invalid_json")),
        NOT_JSON(Expect.ERROR_EVENT, Set.of("invalid_json")),
        NOT_AN_OBJECT(Expect.ERROR_EVENT, Set.of("invalid_json", "invalid_request")),
        WRONG_TYPE(Expect.ERROR_EVENT, Set.of("invalid_request")),
        MISSING_FIELD(Expect.ERROR_EVENT, Set.of("invalid_request")),
        UNKNOWN_FIELD(Expect.ERROR_EVENT, Set.of("unknown_field")),
        OUT_OF_RANGE(Expect.ERROR_EVENT, Set.of("value_out_of_range")),
        EMPTY_VALUE(Expect.ERROR_EVENT, Set.of("invalid_json")),
        TOMBSTONE(Expect.ERROR_EVENT, Set.of("invalid_json")),
        NOT_UTF8(Expect.ERROR_EVENT, Set.of("invalid_json")),
        TOO_LARGE(Expect.ERROR_EVENT, Set.of("record_too_large")),
        BAD_WITH_NULL_KEY(Expect.ERROR_EVENT, Set.of("invalid_json", "invalid_request", "unknown_field",
                "value_out_of_range")),
        OVER_MAX_MODEL_LEN(Expect.COMPLETION_ERROR, Set.of("prompt_too_long")),
        TOKEN_OUT_OF_VOCAB(Expect.COMPLETION_ERROR, Set.of("invalid_request")),
        /** An empty prompt has nothing to continue: the schema's minLength 1 (docs/delivery.md). */
        EMPTY_PROMPT(Expect.ERROR_EVENT, Set.of("value_out_of_range")),
        /** Every record of an id must share a partition: the key must be the id (docs/delivery.md 1). */
        GOOD_WITH_NULL_KEY(Expect.ERROR_EVENT, Set.of("invalid_request")),
        KEY_DISAGREES_WITH_ID(Expect.ERROR_EVENT, Set.of("invalid_request")),
        /** A good prompt's id again, after it: not generated twice (docs/delivery.md 4). */
        DUPLICATE_ID(Expect.ERROR_EVENT, Set.of("duplicate_id"));

        final Expect expect;
        final Set<String> codes;

        Kind(Expect expect, Set<String> codes) {
            this.expect = expect;
            this.codes = codes;
        }
    }

    /** One generated record; {@code greedy} is set for good ones. */
    record FuzzRecord(Kind kind, String id, byte[] key, byte[] value, Greedy greedy, boolean stream) {
    }

    static final List<String> TEXTS = List.of("Once upon a time", "The river", "Kafka partitions", "A quiet morning",
            "Numbers 1 2 3", "Hello, world", "Mountains and", "The fleet of workers", "ünïcödé text", "Tabs\tand\nlines");

    private final Random random;
    private final int maxRecordBytes;
    private int n;

    FuzzRecords(long seed, int maxRecordBytes) {
        this.random = new Random(seed);
        this.maxRecordBytes = maxRecordBytes;
    }

    /** {@code bad} bad records and {@code good} good ones, shuffled together. */
    List<FuzzRecord> generate(int bad, int good) {
        List<FuzzRecord> out = new ArrayList<>();
        Kind[] badKinds = java.util.Arrays.stream(Kind.values()).filter(k -> k != Kind.GOOD && k != Kind.DUPLICATE_ID)
                .toArray(Kind[]::new);
        int duplicates = Math.min(good / 4, bad / 20);
        for (int i = 0; i < bad - duplicates; i++) {
            out.add(make(badKinds[i % badKinds.length]));
        }
        for (int i = 0; i < good; i++) {
            out.add(make(Kind.GOOD));
        }
        java.util.Collections.shuffle(out, random);
        // Duplicates come after every original, so the original is in flight or answered when they arrive.
        List<FuzzRecord> originals = out.stream().filter(r -> r.kind() == Kind.GOOD).limit(duplicates).toList();
        for (FuzzRecord o : originals) {
            out.add(new FuzzRecord(Kind.DUPLICATE_ID, o.id(), o.key(), o.value(), null, true));
        }
        return out;
    }

    private FuzzRecord make(Kind kind) {
        String id = (kind == Kind.GOOD ? "good-" : "bad-") + n++;
        Greedy g = new Greedy(TEXTS.get(random.nextInt(TEXTS.size())), 1 + random.nextInt(4));
        boolean stream = random.nextBoolean();
        String good = goodJson(id, g, stream);
        byte[] key = id.getBytes(StandardCharsets.UTF_8);
        return switch (kind) {
            case GOOD -> new FuzzRecord(kind, id, key, utf8(good), g, stream);
            case TRUNCATED_JSON -> new FuzzRecord(kind, id, key, utf8(good.substring(0, 1 + random.nextInt(good.length() - 1))), null, true);
            case NOT_JSON -> new FuzzRecord(kind, id, key, utf8(pick("hello", "{id: 1}", "{\"id\":\"" + id + "\",}",
                    "{'id':'x'}", "<xml/>", "{\"id\":\"" + id + "\" \"prompt\":\"x\"}", "{\"a\":1}{\"b\":2}",
                    "{\"id\":\"" + id + "\",\"id\":\"again\",\"prompt\":\"x\"}", "[".repeat(40) + "]".repeat(40),
                    "{\"id\":\"" + id + "\",\"prompt\":\"\\ud800\"}", randomAscii())), null, true);
            case NOT_AN_OBJECT -> new FuzzRecord(kind, id, key, utf8(pick("42", "[]", "\"text\"", "null", "true",
                    "[{\"id\":\"x\"}]", "-0.5e3")), null, true);
            case WRONG_TYPE -> new FuzzRecord(kind, id, key, utf8(replaceField(good, pick(
                    "\"max_tokens\":\"ten\"", "\"temperature\":\"hot\"", "\"prompt\":42", "\"stop\":7",
                    "\"ignore_eos\":\"yes\"", "\"metadata\":[1]", "\"seed\":1.5", "\"stream\":null",
                    "\"prompt_token_ids\":[\"a\"]", "\"max_tokens\":2.5", "\"top_k\":true"))), null, true);
            case MISSING_FIELD -> new FuzzRecord(kind, id, key, utf8(pick(
                    "{\"id\":\"" + id + "\",\"max_tokens\":2}", "{\"prompt\":\"no id\"}",
                    "{\"id\":\"" + id + "\",\"prompt\":\"x\",\"prompt_token_ids\":[1,2]}",
                    "{\"id\":\"" + id + "\",\"prompt\":\"x\",\"timeout_ms\":5,\"deadline\":\"2030-01-01T00:00:00Z\"}",
                    "{\"id\":\"" + id + "\",\"prompt\":\"x\",\"deadline\":\"tomorrow\"}")), null, true);
            case UNKNOWN_FIELD -> new FuzzRecord(kind, id, key, utf8(replaceField(good, pick("\"max_token\":5",
                    "\"temprature\":0.5", "\"model\":\"gpt\"", "\"n\":2", "\"best_of\":3"))), null, true);
            case OUT_OF_RANGE -> new FuzzRecord(kind, id, key, utf8(replaceField(good, pick("\"max_tokens\":0",
                    "\"max_tokens\":-3", "\"temperature\":7.5", "\"temperature\":-1", "\"top_p\":0", "\"top_p\":1.5",
                    "\"top_k\":-5", "\"min_p\":2", "\"logprobs\":50", "\"presence_penalty\":9",
                    "\"repetition_penalty\":0", "\"timeout_ms\":0", "\"stop\":[\"\"]"))), null, true);
            case EMPTY_VALUE -> new FuzzRecord(kind, id, key, new byte[0], null, true);
            case TOMBSTONE -> new FuzzRecord(kind, id, key, null, null, true);
            case NOT_UTF8 -> {
                // a byte that is never UTF-8, a lead byte without its continuation, a lone continuation
                // byte, an encoded surrogate, an overlong encoding: inserted at the prompt's start
                byte[] invalid = pick(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xC3, '('}, new byte[] {(byte) 0x80},
                        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0xAF});
                byte[] bytes = utf8(good);
                int at = utf8(good.substring(0, good.indexOf("\"prompt\":\"") + 10)).length;
                var out = new ByteArrayOutputStream();
                out.write(bytes, 0, at);
                out.writeBytes(invalid);
                out.write(bytes, at, bytes.length - at);
                yield new FuzzRecord(kind, id, key, out.toByteArray(), null, true);
            }
            case TOO_LARGE -> new FuzzRecord(kind, id, key, utf8(good.replace("\"prompt\":\"", "\"prompt\":\""
                    + "x".repeat(maxRecordBytes + random.nextInt(2000)))), null, true);
            case BAD_WITH_NULL_KEY -> new FuzzRecord(kind, id, null, utf8(replaceField(good, "\"max_tokens\":0")), null, true);
            case OVER_MAX_MODEL_LEN -> new FuzzRecord(kind, id, key, utf8(good.replace("\"prompt\":\"", "\"prompt\":\""
                    + "many words again ".repeat(60))), null, stream);
            case TOKEN_OUT_OF_VOCAB -> new FuzzRecord(kind, id, key, utf8("{\"id\":\"" + id
                    + "\",\"prompt_token_ids\":[5," + (100_000 + random.nextInt(1000)) + "],\"max_tokens\":2}"), null, true);
            case EMPTY_PROMPT -> new FuzzRecord(kind, id, key, utf8("{\"id\":\"" + id + "\",\"prompt\":\"\",\"max_tokens\":2}"),
                    null, true);
            case GOOD_WITH_NULL_KEY -> new FuzzRecord(kind, id, null, utf8(good), g, stream);
            case KEY_DISAGREES_WITH_ID -> new FuzzRecord(kind, id, utf8("other-" + id), utf8(good), g, stream);
            case DUPLICATE_ID -> throw new IllegalArgumentException("made from a good record");
        };
    }

    static String goodJson(String id, Greedy g, boolean stream) {
        return "{\"id\":\"" + id + "\",\"prompt\":\"" + g.prompt().replace("\t", "\\t").replace("\n", "\\n")
                + "\",\"max_tokens\":" + g.maxTokens() + ",\"temperature\":0,\"ignore_eos\":true,\"stream\":" + stream + "}";
    }

    /** Puts {@code field} ("name":value) in place of the same-named field, or adds it. */
    private static String replaceField(String json, String field) {
        String name = field.substring(0, field.indexOf(':') + 1);
        int at = json.indexOf(name);
        if (at < 0) {
            return json.substring(0, json.length() - 1) + "," + field + "}";
        }
        int end = at + name.length();
        int depth = 0;
        boolean inString = false;
        for (; end < json.length(); end++) {
            char c = json.charAt(end);
            if (c == '"' && json.charAt(end - 1) != '\\') {
                inString = !inString;
            } else if (!inString && (c == '[' || c == '{')) {
                depth++;
            } else if (!inString && (c == ']' || c == '}')) {
                if (depth == 0) {
                    break;
                }
                depth--;
            } else if (!inString && depth == 0 && c == ',') {
                break;
            }
        }
        return json.substring(0, at) + field + json.substring(end);
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[random.nextInt(options.length)];
    }

    private String randomAscii() {
        var out = new ByteArrayOutputStream();
        int len = 1 + random.nextInt(60);
        for (int i = 0; i < len; i++) {
            out.write(32 + random.nextInt(95));
        }
        return "#" + out.toString(StandardCharsets.US_ASCII);   // '#' starts no JSON value
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
