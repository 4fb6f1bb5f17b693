package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of Unicode scalar values (code points without the surrogates), as sorted,
 * disjoint, non-adjacent closed ranges. Grammars speak in characters; {@link ByteNfa} turns each set
 * into the UTF-8 byte sequences that encode it, so every constrained output is well-formed UTF-8.
 */
public record CharSet(int[] ranges) {

    public static final int MAX = 0x10FFFF;
    public static final CharSet NONE = new CharSet(new int[0]);
    /** Every scalar value: all code points but the surrogates D800–DFFF. */
    public static final CharSet ANY = of(0, 0xD7FF).union(of(0xE000, MAX));

    public CharSet {
        ranges = normalize(ranges);
    }

    public static CharSet of(int lo, int hi) {
        return new CharSet(new int[] {lo, hi});
    }

    public static CharSet ofChar(int c) {
        return of(c, c);
    }

    public static CharSet ofChars(String chars) {
        int[] r = chars.codePoints().flatMap(c -> java.util.stream.IntStream.of(c, c)).toArray();
        return new CharSet(r);
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    public boolean contains(int c) {
        for (int i = 0; i < ranges.length; i += 2) {
            if (c >= ranges[i] && c <= ranges[i + 1]) {
                return true;
            }
        }
        return false;
    }

    public CharSet union(CharSet other) {
        int[] r = Arrays.copyOf(ranges, ranges.length + other.ranges.length);
        System.arraycopy(other.ranges, 0, r, ranges.length, other.ranges.length);
        return new CharSet(r);
    }

    /** Every scalar value not in this set. */
    public CharSet complement() {
        List<Integer> r = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                r.add(next);
                r.add(ranges[i] - 1);
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= MAX) {
            r.add(next);
            r.add(MAX);
        }
        return new CharSet(r.stream().mapToInt(Integer::intValue).toArray()).intersect(ANY);
    }

    public CharSet intersect(CharSet other) {
        List<Integer> r = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < ranges.length && j < other.ranges.length) {
            int lo = Math.max(ranges[i], other.ranges[j]);
            int hi = Math.min(ranges[i + 1], other.ranges[j + 1]);
            if (lo <= hi) {
                r.add(lo);
                r.add(hi);
            }
            if (ranges[i + 1] < other.ranges[j + 1]) {
                i += 2;
            } else {
                j += 2;
            }
        }
        return new CharSet(r.stream().mapToInt(Integer::intValue).toArray());
    }

    public CharSet minus(CharSet other) {
        return intersect(other.complement());
    }

    private static int[] normalize(int[] r) {
        if (r.length % 2 != 0) {
            throw new IllegalArgumentException("ranges come in pairs");
        }
        int n = r.length / 2;
        long[] packed = new long[n];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            int lo = Math.max(0, r[2 * i]);
            int hi = Math.min(MAX, r[2 * i + 1]);
            if (lo <= hi) {
                packed[kept++] = ((long) lo << 32) | hi;
            }
        }
        Arrays.sort(packed, 0, kept);
        int[] out = new int[2 * kept];
        int m = 0;
        for (int i = 0; i < kept; i++) {
            int lo = (int) (packed[i] >>> 32);
            int hi = (int) packed[i];
            if (m > 0 && lo <= out[m - 1] + 1) {
                out[m - 1] = Math.max(out[m - 1], hi);
            } else {
                out[m++] = lo;
                out[m++] = hi;
            }
        }
        return Arrays.copyOf(out, m);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CharSet c && Arrays.equals(ranges, c.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }

    @Override
    public String toString() {
        return "CharSet" + Arrays.toString(ranges);
    }
}
