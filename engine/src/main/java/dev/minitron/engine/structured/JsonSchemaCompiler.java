package dev.minitron.engine.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON Schema (the subset in docs/structured-outputs.md) to the regular language of the JSON
 * documents the engine may generate for it. The language is always a subset of what the schema
 * accepts, never a superset: every generated document validates. Where the schema allows more
 * than a regular language can say, the subset is stated and fixed:
 * <ul>
 * <li>compact JSON: no whitespace between tokens;
 * <li>object members in the order of {@code properties} (required ones always, optional ones
 *     maybe), no members beyond {@code properties} except required names it does not list;
 * <li>integers of at most {@value #MAX_DIGITS} digits; numbers as an integer part and at most
 *     {@value #MAX_FRACTION_DIGITS} fraction digits, no exponent; bounds are enforced exactly;
 * <li>a recursive {@code $ref} unrolled {@value #MAX_REF_DEPTH} times (deeper branches are not taken),
 *     untyped values nested at most {@value #MAX_ANY_DEPTH} containers deep;
 * <li>strings with a {@code pattern} use only characters that need no escape.
 * </ul>
 * A keyword outside the subset is refused with its name and location, never ignored.
 */
final class JsonSchemaCompiler {

    static final int MAX_DIGITS = 15;
    static final int MAX_FRACTION_DIGITS = 6;
    static final int MAX_REF_DEPTH = 3;
    static final int MAX_ANY_DEPTH = 3;
    /** Length and item limits above these are lowered to them (a subset, so still valid). */
    static final int MAX_LENGTH = 1000;
    static final int MAX_ITEMS = 64;
    private static final BigInteger LARGEST = BigInteger.TEN.pow(MAX_DIGITS).subtract(BigInteger.ONE);

    /** Keywords that say nothing about validity. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples",
            "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required",
            "additionalProperties", "enum", "const", "anyOf", "oneOf", "items", "minItems", "maxItems",
            "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "$ref");
    private static final List<String> ALL_TYPES = List.of("object", "array", "string", "number", "boolean", "null");

    /** A JSON string's characters written as themselves: all but {@code "}, {@code \} and controls. */
    static final CharSet LITERAL = CharSet.ANY.minus(CharSet.of(0, 0x1F).union(CharSet.ofChars("\"\\")));
    private static final CharSet HEX = CharSet.of('0', '9').union(CharSet.of('a', 'f')).union(CharSet.of('A', 'F'));
    private static final CharSet DIGIT = CharSet.of('0', '9');

    private final JsonNode root;
    private final Deque<String> refs = new ArrayDeque<>();

    private JsonSchemaCompiler(JsonNode root) {
        this.root = root;
    }

    static Rx compile(JsonNode schema) {
        return new JsonSchemaCompiler(schema).schema(schema, "#", 0);
    }

    /** Any JSON value ({@code response_format: json_object} asks for an object). */
    static Rx anyObject() {
        return new JsonSchemaCompiler(null).freeObject(null, "#", 0);
    }

    private Rx schema(JsonNode s, String path, int anyDepth) {
        if (s.isBoolean()) {
            return s.booleanValue() ? anyValue(anyDepth, path) : Rx.NOTHING;
        }
        if (!s.isObject()) {
            throw invalid(path, "a schema must be an object or a boolean");
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!SUPPORTED.contains(k) && !ANNOTATIONS.contains(k)) {
                throw new GrammarException(GrammarException.Kind.UNSUPPORTED_SCHEMA,
                        "the keyword '" + k + "' (at " + path + ") is not supported for structured outputs", -1);
            }
        }
        if (s.has("$ref")) {
            only(s, path, "$ref");
            return ref(s.get("$ref").asText(), path, anyDepth);
        }
        if (s.has("anyOf") || s.has("oneOf")) {
            String k = s.has("anyOf") ? "anyOf" : "oneOf";
            only(s, path, k);
            JsonNode branches = s.get(k);
            if (!branches.isArray() || branches.isEmpty()) {
                throw invalid(path + "/" + k, "must be a non-empty array of schemas");
            }
            if (k.equals("oneOf")) {
                requireDisjoint(branches, path);
            }
            List<Rx> options = new ArrayList<>();
            for (int i = 0; i < branches.size(); i++) {
                options.add(schema(branches.get(i), path + "/" + k + "/" + i, anyDepth));
            }
            return Rx.alt(options);
        }
        List<String> types = types(s, path);
        if (s.has("enum") || s.has("const")) {
            return literals(s, types, path);
        }
        List<Rx> options = new ArrayList<>();
        for (String type : types) {
            options.add(switch (type) {
                case "object" -> object(s, path, anyDepth);
                case "array" -> array(s, path, anyDepth);
                case "string" -> string(s, path);
                case "integer" -> integer(s, path);
                case "number" -> number(s, path);
                case "boolean" -> Rx.alt(List.of(Rx.literal("true"), Rx.literal("false")));
                default -> Rx.literal("null");
            });
        }
        return Rx.alt(options);
    }

    /** The schema's types; "number" alone also covers integers, so it is not listed twice. */
    private List<String> types(JsonNode s, String path) {
        JsonNode t = s.get("type");
        if (t == null) {
            return ALL_TYPES;
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode name : t.isArray() ? t : List.of(t)) {
            String n = name.asText();
            if (!name.isTextual() || !(ALL_TYPES.contains(n) || n.equals("integer"))) {
                throw invalid(path + "/type", "unknown type " + name);
            }
            out.add(n);
        }
        if (out.contains("number")) {
            out.remove("integer");
        }
        return List.copyOf(out);
    }

    private void only(JsonNode s, String path, String keyword) {
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals(keyword) && !ANNOTATIONS.contains(k)) {
                throw new GrammarException(GrammarException.Kind.UNSUPPORTED_SCHEMA, "the keyword '" + k
                        + "' beside '" + keyword + "' (at " + path + ") is not supported for structured outputs", -1);
            }
        }
    }

    private Rx ref(String ref, String path, int anyDepth) {
        if (!ref.startsWith("#")) {
            throw new GrammarException(GrammarException.Kind.UNSUPPORTED_SCHEMA,
                    "'$ref' to another document (" + ref + " at " + path + ") is not supported; only refs within the schema", -1);
        }
        JsonNode target = root.at(ref.substring(1));
        if (target.isMissingNode()) {
            throw invalid(path + "/$ref", "points at nothing: " + ref);
        }
        long depth = refs.stream().filter(ref::equals).count();
        if (depth >= MAX_REF_DEPTH) {
            return Rx.NOTHING;   // recursion unrolled far enough: this branch is not taken
        }
        refs.push(ref);
        try {
            return schema(target, ref, anyDepth);
        } finally {
            refs.pop();
        }
    }

    /**
     * oneOf is exact only when no document can match two branches; accepted when the branches
     * have disjoint types, or are objects told apart by a required property with distinct constants.
     */
    private void requireDisjoint(JsonNode branches, String path) {
        Set<String> seenTypes = new LinkedHashSet<>();
        boolean byType = true;
        for (JsonNode b : branches) {
            List<String> t = b.isObject() && b.has("type") && !b.has("$ref") ? types(b, path) : ALL_TYPES;
            for (String type : t) {
                String key = type.equals("integer") ? "number" : type;
                if (!seenTypes.add(key)) {
                    byType = false;
                }
            }
        }
        if (byType || discriminated(branches)) {
            return;
        }
        throw new GrammarException(GrammarException.Kind.UNSUPPORTED_SCHEMA, "'oneOf' (at " + path + ") whose branches"
                + " may match the same document is not supported: give the branches distinct types or a required"
                + " property with a distinct 'const' in each, or use 'anyOf'", -1);
    }

    private static boolean discriminated(JsonNode branches) {
        for (Iterator<String> names = branches.get(0).path("properties").fieldNames(); names.hasNext(); ) {
            String name = names.next();
            Set<JsonNode> values = new java.util.HashSet<>();
            boolean ok = true;
            for (JsonNode b : branches) {
                JsonNode p = b.path("properties").path(name);
                boolean required = false;
                for (JsonNode r : b.path("required")) {
                    required |= r.asText().equals(name);
                }
                if (!required || !p.has("const") || !values.add(p.get("const"))) {
                    ok = false;
                    break;
                }
            }
            if (ok) {
                return true;
            }
        }
        return false;
    }

    private Rx literals(JsonNode s, List<String> types, String path) {
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("enum") && !k.equals("const") && !k.equals("type") && !ANNOTATIONS.contains(k)) {
                throw new GrammarException(GrammarException.Kind.UNSUPPORTED_SCHEMA, "the keyword '" + k
                        + "' beside 'enum'/'const' (at " + path + ") is not supported for structured outputs", -1);
            }
        }
        List<JsonNode> values = new ArrayList<>();
        if (s.has("const")) {
            values.add(s.get("const"));
        }
        if (s.has("enum")) {
            if (!s.get("enum").isArray()) {
                throw invalid(path + "/enum", "must be an array");
            }
            s.get("enum").forEach(values::add);
        }
        List<Rx> options = new ArrayList<>();
        for (JsonNode v : values) {
            if (s.has("const") && s.has("enum") && !containsEqual(s.get("enum"), s.get("const"))) {
                continue;
            }
            if (hasType(v, types)) {
                options.add(Rx.literal(v.toString()));
            }
        }
        return options.isEmpty() ? Rx.NOTHING : Rx.alt(options);
    }

    private static boolean containsEqual(JsonNode array, JsonNode v) {
        for (JsonNode e : array) {
            if (e.equals(v)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasType(JsonNode v, List<String> types) {
        return switch (v.getNodeType()) {
            case OBJECT -> types.contains("object");
            case ARRAY -> types.contains("array");
            case STRING -> types.contains("string");
            case NUMBER -> types.contains("number") || (types.contains("integer") && isIntegral(v));
            case BOOLEAN -> types.contains("boolean");
            case NULL -> types.contains("null");
            default -> false;
        };
    }

    private static boolean isIntegral(JsonNode v) {
        return v.isIntegralNumber() || v.decimalValue().stripTrailingZeros().scale() <= 0;
    }

    private Rx object(JsonNode s, String path, int anyDepth) {
        JsonNode props = s.get("properties");
        JsonNode additional = s.get("additionalProperties");
        Set<String> required = new LinkedHashSet<>();
        if (s.has("required")) {
            for (JsonNode r : s.get("required")) {
                required.add(r.asText());
            }
        }
        if (props == null && required.isEmpty() && (additional == null || !additional.equals(
                com.fasterxml.jackson.databind.node.BooleanNode.FALSE))) {
            return freeObject(additional, path, anyDepth);
        }
        List<Rx> members = new ArrayList<>();
        List<Boolean> mandatory = new ArrayList<>();
        if (props != null) {
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                var e = it.next();
                Rx value = schema(e.getValue(), path + "/properties/" + e.getKey(), anyDepth);
                members.add(Rx.seq(Rx.literal(TextNode.valueOf(e.getKey()).toString() + ":"), value));
                mandatory.add(required.contains(e.getKey()));
            }
        }
        for (String name : required) {
            if (props == null || !props.has(name)) {
                if (additional != null && additional.isBoolean() && !additional.booleanValue()) {
                    throw new GrammarException(GrammarException.Kind.EMPTY, "'required' names '" + name + "' (at "
                            + path + ") which 'additionalProperties': false forbids: no document satisfies it", -1);
                }
                Rx value = additional == null ? anyValue(anyDepth + 1, path) : schema(additional, path + "/additionalProperties", anyDepth);
                members.add(Rx.seq(Rx.literal(TextNode.valueOf(name).toString() + ":"), value));
                mandatory.add(true);
            }
        }
        return Rx.seq(Rx.literal("{"), members(members, mandatory), Rx.literal("}"));
    }

    /**
     * The members in order with commas only between present ones: the first present member is
     * either the first required one (all before it skipped) or an optional one before it.
     */
    private static Rx members(List<Rx> members, List<Boolean> mandatory) {
        int n = members.size();
        int firstRequired = mandatory.indexOf(true);
        int last = firstRequired < 0 ? n - 1 : firstRequired;
        List<Rx> starts = new ArrayList<>();
        if (firstRequired < 0) {
            starts.add(Rx.EMPTY);
        }
        for (int k = 0; k <= last && k < n; k++) {
            List<Rx> seq = new ArrayList<>();
            seq.add(members.get(k));
            for (int j = k + 1; j < n; j++) {
                Rx withComma = Rx.seq(Rx.literal(","), members.get(j));
                seq.add(mandatory.get(j) ? withComma : Rx.optional(withComma));
            }
            starts.add(new Rx.Seq(seq));
        }
        return starts.isEmpty() ? Rx.EMPTY : Rx.alt(starts);
    }

    /** An object with any keys: members whose values follow {@code additional} (any value if absent). */
    private Rx freeObject(JsonNode additional, String path, int anyDepth) {
        if (anyDepth >= MAX_ANY_DEPTH) {
            return Rx.literal("{}");
        }
        Rx value = additional == null || (additional.isBoolean() && additional.booleanValue())
                ? anyValue(anyDepth + 1, path) : schema(additional, path + "/additionalProperties", anyDepth + 1);
        Rx member = Rx.seq(jsonString(0, -1), Rx.literal(":"), value);
        return Rx.seq(Rx.literal("{"), Rx.optional(Rx.seq(member,
                new Rx.Repeat(Rx.seq(Rx.literal(","), member), 0, -1))), Rx.literal("}"));
    }

    private Rx anyValue(int anyDepth, String path) {
        List<Rx> options = new ArrayList<>(List.of(jsonString(0, -1), number(BigDecimal.valueOf(-LARGEST.longValue()),
                false, BigDecimal.valueOf(LARGEST.longValue()), false),
                Rx.literal("true"), Rx.literal("false"), Rx.literal("null")));
        if (anyDepth < MAX_ANY_DEPTH) {
            options.add(freeObject(null, path, anyDepth));
            Rx item = anyValue(anyDepth + 1, path);
            options.add(Rx.seq(Rx.literal("["), Rx.optional(Rx.seq(item,
                    new Rx.Repeat(Rx.seq(Rx.literal(","), item), 0, -1))), Rx.literal("]")));
        }
        return Rx.alt(options);
    }

    private Rx array(JsonNode s, String path, int anyDepth) {
        int min = count(s, "minItems", 0, path);
        int max = s.has("maxItems") ? count(s, "maxItems", 0, path) : -1;
        if (max >= 0 && max < min) {
            throw new GrammarException(GrammarException.Kind.EMPTY, "maxItems < minItems at " + path, -1);
        }
        if (min > MAX_ITEMS) {
            throw new GrammarException(GrammarException.Kind.TOO_LARGE, "minItems above " + MAX_ITEMS + " at " + path
                    + " is not supported for structured outputs", -1);
        }
        if (max > MAX_ITEMS) {
            max = MAX_ITEMS;
        }
        if (max == 0) {
            return Rx.literal("[]");
        }
        Rx item = s.has("items") ? schema(s.get("items"), path + "/items", anyDepth) : anyValue(anyDepth + 1, path);
        Rx rest = new Rx.Repeat(Rx.seq(Rx.literal(","), item), Math.max(0, min - 1), max < 0 ? -1 : max - 1);
        Rx list = Rx.seq(item, rest);
        return Rx.seq(Rx.literal("["), min == 0 ? Rx.optional(list) : list, Rx.literal("]"));
    }

    private Rx string(JsonNode s, String path) {
        int min = count(s, "minLength", 0, path);
        int max = s.has("maxLength") ? count(s, "maxLength", 0, path) : -1;
        if (max >= 0 && max < min) {
            throw new GrammarException(GrammarException.Kind.EMPTY, "maxLength < minLength at " + path, -1);
        }
        if (min > MAX_LENGTH) {
            throw new GrammarException(GrammarException.Kind.TOO_LARGE, "minLength above " + MAX_LENGTH + " at " + path
                    + " is not supported for structured outputs", -1);
        }
        if (max > MAX_LENGTH) {
            max = MAX_LENGTH;
        }
        if (!s.has("pattern")) {
            return jsonString(min, max);
        }
        RegexParser.Parsed p;
        try {
            p = RegexParser.parse(s.get("pattern").asText());
        } catch (GrammarException e) {
            throw new GrammarException(e.kind(), path + "/pattern: " + e.getMessage(), e.position());
        }
        Rx anyLiteral = new Rx.Repeat(Rx.chars(LITERAL), 0, -1);
        Rx content = Rx.seq(p.anchoredStart() ? Rx.EMPTY : anyLiteral, literalOnly(p.rx()),
                p.anchoredEnd() ? Rx.EMPTY : anyLiteral);
        if (min > 0 || max >= 0) {
            ByteDfa bounded = ByteDfa.of(content).intersect(ByteDfa.of(new Rx.Repeat(Rx.chars(LITERAL), min, max)));
            content = new Rx.Automaton(bounded);
        }
        return Rx.seq(Rx.literal("\""), content, Rx.literal("\""));
    }

    /** The pattern with each character set narrowed to the characters a JSON string holds unescaped. */
    private static Rx literalOnly(Rx rx) {
        return switch (rx) {
            case Rx.Chars c -> Rx.chars(c.set().intersect(LITERAL));
            case Rx.Seq seq -> new Rx.Seq(seq.items().stream().map(JsonSchemaCompiler::literalOnly).toList());
            case Rx.Alt alt -> new Rx.Alt(alt.options().stream().map(JsonSchemaCompiler::literalOnly).toList());
            case Rx.Repeat r -> new Rx.Repeat(literalOnly(r.body()), r.min(), r.max());
            case Rx.Automaton a -> a;
        };
    }

    /** A JSON string of {@code min} to {@code max} characters (−1: unbounded); escapes count as one. */
    static Rx jsonString(int min, int max) {
        Rx nonSurrogateHex = Rx.alt(List.of(
                Rx.seq(Rx.chars(CharSet.of('0', '9').union(CharSet.of('a', 'c')).union(CharSet.of('A', 'C'))),
                        Rx.chars(HEX), Rx.chars(HEX), Rx.chars(HEX)),
                Rx.seq(Rx.chars(CharSet.ofChars("dD")), Rx.chars(CharSet.of('0', '7')), Rx.chars(HEX), Rx.chars(HEX)),
                Rx.seq(Rx.chars(CharSet.ofChars("eEfF")), Rx.chars(HEX), Rx.chars(HEX), Rx.chars(HEX))));
        Rx escape = Rx.seq(Rx.literal("\\"), Rx.alt(List.of(Rx.chars(CharSet.ofChars("\"\\/bfnrt")),
                Rx.seq(Rx.literal("u"), nonSurrogateHex))));
        Rx character = Rx.alt(List.of(Rx.chars(LITERAL), escape));
        return Rx.seq(Rx.literal("\""), new Rx.Repeat(character, min, max), Rx.literal("\""));
    }

    private Rx integer(JsonNode s, String path) {
        BigDecimal lo = bound(s, "minimum", path);
        BigDecimal xlo = bound(s, "exclusiveMinimum", path);
        BigDecimal hi = bound(s, "maximum", path);
        BigDecimal xhi = bound(s, "exclusiveMaximum", path);
        BigInteger min = BigInteger.valueOf(-LARGEST.longValue());
        BigInteger max = LARGEST;
        if (lo != null) {
            min = min.max(lo.setScale(0, RoundingMode.CEILING).toBigIntegerExact());
        }
        if (xlo != null) {
            min = min.max(xlo.setScale(0, RoundingMode.FLOOR).toBigIntegerExact().add(BigInteger.ONE));
        }
        if (hi != null) {
            max = max.min(hi.setScale(0, RoundingMode.FLOOR).toBigIntegerExact());
        }
        if (xhi != null) {
            max = max.min(xhi.setScale(0, RoundingMode.CEILING).toBigIntegerExact().subtract(BigInteger.ONE));
        }
        if (min.compareTo(max) > 0) {
            throw new GrammarException(GrammarException.Kind.EMPTY, "no integer of at most " + MAX_DIGITS
                    + " digits lies within the bounds at " + path, -1);
        }
        return IntegerRange.of(min.longValueExact(), max.longValueExact());
    }

    private Rx number(JsonNode s, String path) {
        BigDecimal lo = bound(s, "minimum", path);
        BigDecimal xlo = bound(s, "exclusiveMinimum", path);
        BigDecimal hi = bound(s, "maximum", path);
        BigDecimal xhi = bound(s, "exclusiveMaximum", path);
        boolean loExclusive = xlo != null && (lo == null || xlo.compareTo(lo) >= 0);
        boolean hiExclusive = xhi != null && (hi == null || xhi.compareTo(hi) <= 0);
        BigDecimal low = loExclusive ? xlo : lo;
        BigDecimal high = hiExclusive ? xhi : hi;
        BigDecimal cap = new BigDecimal(LARGEST);
        if (low == null || low.compareTo(cap.negate()) < 0) {
            low = cap.negate();
            loExclusive = false;
        }
        if (high == null || high.compareTo(cap) > 0) {
            high = cap;
            hiExclusive = false;
        }
        if (low.compareTo(cap) > 0 || high.compareTo(cap.negate()) < 0) {
            throw new GrammarException(GrammarException.Kind.EMPTY, "no number of at most " + MAX_DIGITS
                    + " integer digits lies within the bounds at " + path, -1);
        }
        Rx rx = number(low, loExclusive, high, hiExclusive);
        if (rx == Rx.NOTHING) {
            throw new GrammarException(GrammarException.Kind.EMPTY, "no number of at most " + MAX_DIGITS
                    + " integer digits lies within the bounds at " + path, -1);
        }
        return rx;
    }

    /**
     * Numbers in the interval, exactly: the integers in it, then {@code k.ddd} for each integer part
     * k whose whole unit interval lies inside ({@code [k, k+1)} for k ≥ 0, {@code (-(k+1), -k]} written
     * {@code -k.ddd}), so a fraction never crosses a bound.
     */
    private static Rx number(BigDecimal lo, boolean loEx, BigDecimal hi, boolean hiEx) {
        List<Rx> options = new ArrayList<>();
        long intMin = (loEx ? lo.setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE) : lo.setScale(0, RoundingMode.CEILING)).longValueExact();
        long intMax = (hiEx ? hi.setScale(0, RoundingMode.CEILING).subtract(BigDecimal.ONE) : hi.setScale(0, RoundingMode.FLOOR)).longValueExact();
        if (intMin <= intMax) {
            options.add(IntegerRange.of(intMin, intMax));
        }
        Rx fraction = Rx.seq(Rx.literal("."), new Rx.Repeat(Rx.chars(DIGIT), 1, MAX_FRACTION_DIGITS));
        // k ≥ 0: k ≥ lo (k > lo when exclusive) and k + 1 ≤ hi
        long posMin = Math.max(0, intMin);
        long posMax = hi.subtract(BigDecimal.ONE).setScale(0, RoundingMode.FLOOR).longValueExact();
        if (posMin <= posMax) {
            options.add(Rx.seq(IntegerRange.of(posMin, posMax), fraction));
        }
        // -k.ddd, k ≥ 0: -(k+1) ≥ lo, and -k ≤ hi (-k < hi when exclusive)
        long negMax = lo.negate().subtract(BigDecimal.ONE).setScale(0, RoundingMode.FLOOR).longValueExact();
        BigDecimal minusHi = hi.negate();
        long negMin = Math.max(0, (hiEx ? minusHi.setScale(0, RoundingMode.FLOOR).add(BigDecimal.ONE)
                : minusHi.setScale(0, RoundingMode.CEILING)).longValueExact());
        if (negMin <= negMax) {
            options.add(Rx.seq(Rx.literal("-"), IntegerRange.of(negMin, negMax), fraction));
        }
        return options.isEmpty() ? Rx.NOTHING : Rx.alt(options);
    }

    private static BigDecimal bound(JsonNode s, String keyword, String path) {
        JsonNode v = s.get(keyword);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw invalid(path + "/" + keyword, "must be a number");
        }
        return v.decimalValue();
    }

    private static int count(JsonNode s, String keyword, int absent, String path) {
        JsonNode v = s.get(keyword);
        if (v == null) {
            return absent;
        }
        if (!v.canConvertToInt() || !isIntegral(v) || v.asInt() < 0) {
            throw invalid(path + "/" + keyword, "must be a non-negative integer");
        }
        return v.asInt();
    }

    private static GrammarException invalid(String path, String what) {
        return new GrammarException(GrammarException.Kind.SYNTAX, "invalid schema at " + path + ": " + what, -1);
    }
}
