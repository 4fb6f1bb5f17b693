package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.List;

/**
 * The decimal integers in {@code [lo, hi]}, written as JSON writes them (no leading zeros, no
 * {@code -0}), as a regular expression: the classic digit-by-digit split of a range into runs
 * that share a prefix. Exact, so a schema's integer bounds hold for every generated value.
 */
final class IntegerRange {

    private static final CharSet DIGIT = CharSet.of('0', '9');

    private IntegerRange() {
    }

    static Rx of(long lo, long hi) {
        if (lo > hi) {
            return Rx.NOTHING;
        }
        List<Rx> options = new ArrayList<>();
        if (hi >= 0) {
            options.add(nonNegative(Math.max(lo, 0), hi));
        }
        if (lo < 0) {
            options.add(Rx.seq(Rx.literal("-"), nonNegative(-Math.min(hi, -1), -lo)));
        }
        return Rx.alt(options);
    }

    private static Rx nonNegative(long a, long b) {
        List<Rx> options = new ArrayList<>();
        int from = digits(a);
        int to = digits(b);
        for (int d = from; d <= to; d++) {
            long lo = Math.max(a, d == 1 ? 0 : pow10(d - 1));
            long hi = Math.min(b, pow10(d) - 1);
            if (lo <= hi) {
                options.add(sameLength(Long.toString(lo), Long.toString(hi)));
            }
        }
        return Rx.alt(options);
    }

    /** Numbers of one length between two digit strings of that length. */
    private static Rx sameLength(String lo, String hi) {
        int n = lo.length();
        char l = lo.charAt(0);
        char h = hi.charAt(0);
        if (n == 1) {
            return Rx.chars(CharSet.of(l, h));
        }
        String loRest = lo.substring(1);
        String hiRest = hi.substring(1);
        if (l == h) {
            return Rx.seq(Rx.chars(CharSet.ofChar(l)), sameLength(loRest, hiRest));
        }
        if (loRest.chars().allMatch(c -> c == '0') && hiRest.chars().allMatch(c -> c == '9')) {
            return Rx.seq(Rx.chars(CharSet.of(l, h)), new Rx.Repeat(Rx.chars(DIGIT), n - 1, n - 1));
        }
        List<Rx> options = new ArrayList<>();
        options.add(Rx.seq(Rx.chars(CharSet.ofChar(l)), sameLength(loRest, "9".repeat(n - 1))));
        if (l + 1 <= h - 1) {
            options.add(Rx.seq(Rx.chars(CharSet.of(l + 1, h - 1)), new Rx.Repeat(Rx.chars(DIGIT), n - 1, n - 1)));
        }
        options.add(Rx.seq(Rx.chars(CharSet.ofChar(h)), sameLength("0".repeat(n - 1), hiRest)));
        return Rx.alt(options);
    }

    private static int digits(long v) {
        return Long.toString(v).length();
    }

    private static long pow10(int e) {
        long p = 1;
        for (int i = 0; i < e; i++) {
            p *= 10;
        }
        return p;
    }
}
