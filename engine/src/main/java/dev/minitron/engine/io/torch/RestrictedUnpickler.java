package dev.minitron.engine.io.torch;

import dev.minitron.engine.io.CheckpointException;
import dev.minitron.engine.io.DType;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code data.pkl} of a {@code torch.save} archive as data, never as code: a pickle
 * virtual machine that knows the handful of opcodes and globals a PyTorch state dict uses and
 * refuses everything else with the opcode or the global's name. It creates no classes and runs no
 * callables; the only "calls" it performs are the three it understands ({@code OrderedDict()},
 * {@code _rebuild_tensor_v2(...)}, {@code _rebuild_parameter(...)}), each turned into a plain
 * Java value. This is the same idea as {@code torch.load(weights_only=True)}, with a smaller
 * allow-list. Opcode semantics follow CPython's {@code Lib/pickletools.py}.
 */
final class RestrictedUnpickler {

    /** A storage named by a persistent id {@code ('storage', torch.XStorage, key, location, numel)}. */
    record StorageRef(String key, DType dtype, long numel) {
    }

    /** {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)} as data. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    /** A global the allow-list admitted, e.g. {@code collections.OrderedDict}. */
    private record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    private record Tuple(List<Object> items) {
    }

    private static final Object MARK = new Object();

    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR_V2 = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");
    private static final Map<Global, DType> STORAGE_TYPES = Map.of(
            new Global("torch", "BFloat16Storage"), DType.BF16,
            new Global("torch", "HalfStorage"), DType.F16,
            new Global("torch", "FloatStorage"), DType.F32);
    /** Storage types torch may write that this engine cannot use; named so the error can say so. */
    private static final Set<String> OTHER_STORAGE_TYPES = Set.of("DoubleStorage", "LongStorage", "IntStorage",
            "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage", "UntypedStorage", "ComplexFloatStorage",
            "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage", "Float8_e4m3fnStorage", "Float8_e5m2Storage");

    /** An 8B state dict peaks at a few thousand stack values; this bounds memory on a hostile pickle. */
    private static final int MAX_DEPTH_ITEMS = 1_000_000;

    private final Path file;
    private final byte[] pickle;
    private int pos;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private final Map<String, StorageRef> storages = new HashMap<>();

    private RestrictedUnpickler(Path file, byte[] pickle) {
        this.file = file;
        this.pickle = pickle;
    }

    /**
     * The state dict in {@code pickle}: tensor name → tensor, in pickle order. {@code file} and
     * {@code member} only name the source in errors.
     */
    static Map<String, TensorRef> loadStateDict(Path file, String member, byte[] pickle) {
        RestrictedUnpickler u = new RestrictedUnpickler(file, pickle);
        Object root;
        try {
            root = u.run();
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) { // class cast, index out of bounds on a malformed stream
            throw new CheckpointException(file, member + ": malformed pickle near byte " + u.pos + " (" + e + ")", e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new CheckpointException(file, member + ": the pickle holds " + describe(root)
                    + ", not a state dict (a dict of tensor name -> tensor)");
        }
        Map<String, TensorRef> out = new LinkedHashMap<>();
        for (var e : map.entrySet()) {
            if (!(e.getKey() instanceof String name) || !(e.getValue() instanceof TensorRef t)) {
                throw new CheckpointException(file, member + ": state dict entry " + describe(e.getKey()) + " -> "
                        + describe(e.getValue()) + " is not a tensor name -> tensor pair");
            }
            out.put(name, t);
        }
        return out;
    }

    private Object run() {
        while (true) {
            if (pos >= pickle.length) {
                throw fail("pickle ends without a STOP opcode; data.pkl is truncated");
            }
            int at = pos;
            int op = pickle[pos++] & 0xFF;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto < 2 || proto > 5) {
                        throw fail("unsupported pickle protocol " + proto);
                    }
                }
                case 0x95 -> skip(8);             // FRAME: a length hint only
                case '.' -> {                     // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail("pickle stops with " + stack.size() + " values on the stack");
                    }
                    return stack.getFirst();
                }
                case '(' -> marks.add(stack.size());  // MARK
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>());     // EMPTY_LIST
                case ')' -> push(new Tuple(List.of()));  // EMPTY_TUPLE
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'K' -> push((long) u8());                        // BININT1
                case 'M' -> push((long) (u8() | u8() << 8));          // BININT2
                case 'J' -> push((long) readInt());                   // BININT
                case 0x8a -> push(long1(u8()));                       // LONG1
                case 'G' -> push(Double.longBitsToDouble(readLongBigEndian())); // BINFLOAT
                case 'X' -> push(utf8(readLength(readInt() & 0xFFFFFFFFL)));  // BINUNICODE
                case 0x8c -> push(utf8(u8()));                        // SHORT_BINUNICODE
                case 0x8d -> push(utf8(readLength(readLong())));     // BINUNICODE8
                case 'c' -> push(allowGlobal(line(), line()));        // GLOBAL
                case 0x93 -> {                                        // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings");
                    }
                    push(allowGlobal(m, n));
                }
                case 'q' -> memo.put((long) u8(), peek());           // BINPUT
                case 'r' -> memo.put(readInt() & 0xFFFFFFFFL, peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek());    // MEMOIZE
                case 'h' -> push(memoGet(u8()));                      // BINGET
                case 'j' -> push(memoGet(readInt() & 0xFFFFFFFFL));   // LONG_BINGET
                case 't' -> push(new Tuple(popMark()));               // TUPLE
                case 0x85 -> push(new Tuple(List.of(nullSafe(pop())))); // TUPLE1
                case 0x86 -> {                                        // TUPLE2
                    Object b = pop();
                    push(new Tuple(List.of(nullSafe(pop()), nullSafe(b))));
                }
                case 0x87 -> {                                        // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    push(new Tuple(List.of(nullSafe(pop()), nullSafe(b), nullSafe(c))));
                }
                case 'l' -> push(new ArrayList<>(popMark()));          // LIST
                case 'a' -> list(peekBelow(1), at).add(pop());         // APPEND
                case 'e' -> {                                          // APPENDS
                    List<Object> items = popMark();
                    list(peek(), at).addAll(items);
                }
                case 'd' -> {                                          // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putPairs(d, items);
                    push(d);
                }
                case 's' -> {                                          // SETITEM
                    Object v = pop();
                    Object k = pop();
                    putPairs(dict(peek(), at), List.of(nullSafe(k), nullSafe(v)));
                }
                case 'u' -> {                                          // SETITEMS
                    List<Object> items = popMark();
                    putPairs(dict(peek(), at), items);
                }
                case 'Q' -> push(persistentLoad(pop()));               // BINPERSID
                case 'R' -> {                                          // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 'b' -> {                                          // BUILD
                    Object state = pop();
                    Object target = peek();
                    // OrderedDict's __reduce__ carries the instance __dict__ (a state dict's _metadata)
                    // as BUILD state; it is bookkeeping for load_state_dict, so it is dropped.
                    if (!(target instanceof Map<?, ?>) || !(state == null || state instanceof Map<?, ?>)) {
                        throw fail("BUILD of " + describe(target) + " with " + describe(state)
                                + " is not allowed (only an OrderedDict's attribute dict)");
                    }
                }
                case '0' -> pop();                                     // POP
                case '2' -> push(peek());                              // DUP
                case '1' -> popMark();                                 // POP_MARK
                default -> throw fail(opcodeProblem(op, at));
            }
        }
    }

    private static String opcodeProblem(int op, int at) {
        String name = switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82, 0x83, 0x84 -> "EXT" + (op - 0x81);
            case 'P' -> "PERSID";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'S', 'T', 'U' -> "STRING/BINSTRING";
            case 'V' -> "UNICODE";
            case 'F' -> "FLOAT";
            case 'p', 'g' -> "PUT/GET (text)";
            case 'B', 'C', 0x8e, 0x96, 0x97, 0x98 -> "bytes/bytearray/buffer";
            case 0x8f, 0x90, 0x91 -> "set/frozenset";
            default -> "unknown";
        };
        return String.format("pickle opcode 0x%02x (%s) at byte %d is not allowed in a state dict; refusing to load", op, name, at);
    }

    private Object allowGlobal(String module, String name) {
        Global g = new Global(module, name);
        if (g.equals(ORDERED_DICT) || g.equals(REBUILD_TENSOR_V2) || g.equals(REBUILD_PARAMETER) || STORAGE_TYPES.containsKey(g)) {
            return g;
        }
        if (module.equals("torch") && OTHER_STORAGE_TYPES.contains(name)) {
            throw fail("storage type torch." + name + " is not supported (tensors must be bfloat16, float16 or float32)");
        }
        throw fail("pickle refers to global " + printable(module) + "." + printable(name)
                + ", which is not on the allow-list of a torch state dict (collections.OrderedDict, torch._utils."
                + "_rebuild_tensor_v2/_rebuild_parameter, torch.BFloat16Storage/HalfStorage/FloatStorage); "
                + "refusing to load, nothing was executed");
    }

    private Object reduce(Object callable, Object args) {
        if (!(args instanceof Tuple(List<Object> a))) {
            throw fail("REDUCE arguments are " + describe(args) + ", not a tuple");
        }
        if (ORDERED_DICT.equals(callable)) {
            if (!a.isEmpty()) {
                throw fail("collections.OrderedDict called with arguments; only OrderedDict() is allowed");
            }
            return new LinkedHashMap<>();
        }
        if (REBUILD_TENSOR_V2.equals(callable)) {
            if (a.size() < 4 || !(a.get(0) instanceof StorageRef storage) || !(a.get(1) instanceof Long offset)) {
                throw fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...); got " + describe(args));
            }
            return new TensorRef(storage, offset, longs(a.get(2), "size"), longs(a.get(3), "stride"));
        }
        if (REBUILD_PARAMETER.equals(callable)) {
            if (a.isEmpty() || !(a.get(0) instanceof TensorRef t)) {
                throw fail("_rebuild_parameter needs a tensor; got " + describe(args));
            }
            return t;
        }
        throw fail("REDUCE of " + describe(callable) + " is not allowed; refusing to call it");
    }

    /** A persistent id {@code ('storage', storage_type, key, location, numel)}: names bytes in data/KEY. */
    private Object persistentLoad(Object pid) {
        if (!(pid instanceof Tuple(List<Object> t)) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw fail("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        if (!(t.get(1) instanceof Global type) || !STORAGE_TYPES.containsKey(type)) {
            throw fail("persistent id names storage type " + describe(t.get(1)) + ", not a bf16/f16/f32 storage");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw fail("persistent id " + describe(pid) + " has a bad key or element count");
        }
        if (!key.matches("[A-Za-z0-9_]{1,64}")) {
            throw fail("storage key \"" + printable(key) + "\" is not a plain name");
        }
        StorageRef ref = new StorageRef(key, STORAGE_TYPES.get(type), numel);
        StorageRef previous = storages.putIfAbsent(key, ref);
        if (previous != null && !previous.equals(ref)) {
            throw fail("storage " + key + " is declared twice with different types or sizes");
        }
        return previous != null ? previous : ref;
    }

    private long[] longs(Object o, String what) {
        if (!(o instanceof Tuple(List<Object> items))) {
            throw fail("tensor " + what + " is " + describe(o) + ", not a tuple of ints");
        }
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long v) || v < 0) {
                throw fail("tensor " + what + " has a bad entry " + describe(items.get(i)));
            }
            out[i] = v;
        }
        return out;
    }

    private void putPairs(Map<Object, Object> d, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw fail("odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            Object k = items.get(i) == NULL ? null : items.get(i);
            Object v = items.get(i + 1) == NULL ? null : items.get(i + 1);
            if (k != null && !(k instanceof String) && !(k instanceof Long)) {
                throw fail("dict key " + describe(k) + " is not a string or int");
            }
            d.put(k, v);
        }
    }

    /** List.of() rejects null; tuples of None hold this instead. */
    private static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    private static Object nullSafe(Object o) {
        return o == null ? NULL : o;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, int at) {
        if (!(o instanceof Map<?, ?> m)) {
            throw fail("SETITEM(S) at byte " + at + " on " + describe(o) + ", not a dict");
        }
        return (Map<Object, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, int at) {
        if (!(o instanceof ArrayList<?> l)) {
            throw fail("APPEND(S) at byte " + at + " on " + describe(o) + ", not a list");
        }
        return (List<Object>) l;
    }

    private void push(Object o) {
        if (stack.size() >= MAX_DEPTH_ITEMS) {
            throw fail("pickle stack grows past " + MAX_DEPTH_ITEMS + " values");
        }
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.getLast() == stack.size())) {
            throw fail("pickle pops from an empty stack");
        }
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.isEmpty()) {
            throw fail("pickle reads an empty stack");
        }
        return stack.getLast();
    }

    private Object peekBelow(int n) {
        if (stack.size() <= n) {
            throw fail("pickle reads below the bottom of the stack");
        }
        return stack.get(stack.size() - 1 - n);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw fail("pickle uses MARK items without a MARK");
        }
        int from = marks.removeLast();
        List<Object> top = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(top.size());
        top.forEach(o -> items.add(nullSafe(o)));
        top.clear();
        return items;
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) {
            throw fail("pickle reads memo slot " + index + ", which was never written");
        }
        return memo.get(index);
    }

    private int u8() {
        need(1);
        return pickle[pos++] & 0xFF;
    }

    private int readInt() {
        need(4);
        int v = (pickle[pos] & 0xFF) | (pickle[pos + 1] & 0xFF) << 8 | (pickle[pos + 2] & 0xFF) << 16 | (pickle[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    private long readLong() {
        long lo = readInt() & 0xFFFFFFFFL;
        long hi = readInt() & 0xFFFFFFFFL;
        return lo | hi << 32;
    }

    private long readLongBigEndian() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = v << 8 | (pickle[pos++] & 0xFF);
        }
        return v;
    }

    /** LONG1: a little-endian two's-complement integer of {@code n} bytes, which must fit a long. */
    private long long1(int n) {
        if (n > 8) {
            throw fail("integer of " + n + " bytes is too large");
        }
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = v << 8 | (pickle[pos + i] & 0xFF);
        }
        if (n > 0 && n < 8 && (pickle[pos + n - 1] & 0x80) != 0) {
            v |= -1L << (8 * n);
        }
        pos += n;
        return v;
    }

    private int readLength(long n) {
        if (n < 0 || n > pickle.length - pos) {
            throw fail("string of " + Long.toUnsignedString(n) + " bytes runs past the end of the pickle");
        }
        return (int) n;
    }

    private String utf8(int n) {
        need(n);
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(pickle, pos, n)).toString();
            pos += n;
            return s;
        } catch (CharacterCodingException e) {
            throw fail("string at byte " + pos + " is not valid UTF-8");
        }
    }

    /** A text line (GLOBAL's module and name), without its newline. */
    private String line() {
        int start = pos;
        while (pos < pickle.length && pickle[pos] != '\n') {
            if (pos - start > 256) {
                throw fail("GLOBAL name longer than 256 bytes");
            }
            pos++;
        }
        need(1);
        String s = new String(pickle, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        return s;
    }

    private void skip(int n) {
        need(n);
        pos += n;
    }

    private void need(int n) {
        if (n > pickle.length - pos) {
            throw fail("pickle ends in the middle of an opcode; data.pkl is truncated");
        }
    }

    private static String describe(Object o) {
        return switch (o) {
            case null -> "None";
            case String s -> "'" + printable(s) + "'";
            case Map<?, ?> m -> "a dict of " + m.size();
            case List<?> l -> "a list of " + l.size();
            case Tuple t -> "a tuple of " + t.items().size();
            case Global g -> "global " + g;
            case StorageRef s -> "storage " + s.key();
            case TensorRef t -> "a tensor";
            default -> o.getClass().getSimpleName() + " " + o;
        };
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[\\p{Cntrl}]", "?");
    }

    private CheckpointException fail(String problem) {
        return new CheckpointException(file, "data.pkl: " + problem);
    }
}
