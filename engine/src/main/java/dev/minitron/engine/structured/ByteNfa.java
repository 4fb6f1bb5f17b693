package dev.minitron.engine.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Thompson's construction from {@link Rx} to a nondeterministic automaton over bytes. Each
 * character set becomes the UTF-8 byte sequences that encode it (split so every position is one
 * byte range, as RE2 does), so the automaton accepts only well-formed UTF-8.
 */
final class ByteNfa {

    /** Past this many states a grammar is refused as too large rather than compiled for seconds. */
    static final int MAX_STATES = 400_000;

    private int[][] epsilon = new int[1024][];
    private int[] epsilonCount = new int[1024];
    private int[][] edges = new int[1024][];   // triples: lo, hi, target
    private int[] edgeCount = new int[1024];
    private int size;
    final int start;
    final int accept;

    ByteNfa(Rx rx) {
        start = newState();
        accept = build(rx, start);
    }

    int size() {
        return size;
    }

    int epsilonCount(int s) {
        return epsilonCount[s];
    }

    int epsilon(int s, int i) {
        return epsilon[s][i];
    }

    int edgeCount(int s) {
        return edgeCount[s] / 3;
    }

    int edgeLo(int s, int i) {
        return edges[s][3 * i];
    }

    int edgeHi(int s, int i) {
        return edges[s][3 * i + 1];
    }

    int edgeTarget(int s, int i) {
        return edges[s][3 * i + 2];
    }

    private int build(Rx rx, int from) {
        return switch (rx) {
            case Rx.Seq seq -> {
                int s = from;
                for (Rx item : seq.items()) {
                    s = build(item, s);
                }
                yield s;
            }
            case Rx.Alt alt -> {
                int end = newState();
                for (Rx option : alt.options()) {
                    int s = newState();
                    addEpsilon(from, s);
                    addEpsilon(build(option, s), end);
                }
                yield end;
            }
            case Rx.Chars chars -> {
                int end = newState();
                for (int[][] sequence : Utf8Sequences.of(chars.set().intersect(CharSet.ANY))) {
                    int s = from;
                    for (int k = 0; k < sequence.length; k++) {
                        int t = k == sequence.length - 1 ? end : newState();
                        addEdge(s, sequence[k][0], sequence[k][1], t);
                        s = t;
                    }
                }
                yield end;
            }
            case Rx.Repeat rep -> repeat(rep, from);
            case Rx.Automaton a -> embed(a.dfa(), from);
        };
    }

    private int repeat(Rx.Repeat rep, int from) {
        int s = from;
        for (int i = 0; i < rep.min(); i++) {
            s = build(rep.body(), s);
        }
        if (rep.max() < 0) {
            int loop = newState();
            addEpsilon(s, loop);
            addEpsilon(build(rep.body(), loop), loop);
            return loop;
        }
        int end = newState();
        for (int i = rep.min(); i < rep.max(); i++) {
            addEpsilon(s, end);
            s = build(rep.body(), s);
        }
        addEpsilon(s, end);
        return end;
    }

    private int embed(ByteDfa dfa, int from) {
        int[] map = new int[dfa.numStates()];
        for (int d = 0; d < map.length; d++) {
            map[d] = newState();
        }
        int end = newState();
        addEpsilon(from, map[dfa.start()]);
        for (int d = 0; d < map.length; d++) {
            if (dfa.isAccepting(d)) {
                addEpsilon(map[d], end);
            }
            for (int b = 0; b < 256; b++) {
                int t = dfa.next(d, b);
                if (t >= 0) {
                    int hi = b;
                    while (hi + 1 < 256 && dfa.next(d, hi + 1) == t) {
                        hi++;
                    }
                    addEdge(map[d], b, hi, map[t]);
                    b = hi;
                }
            }
        }
        return end;
    }

    private int newState() {
        if (size == MAX_STATES) {
            throw new GrammarException(GrammarException.Kind.TOO_LARGE,
                    "the grammar needs more than " + MAX_STATES + " automaton states; use smaller length or item limits", -1);
        }
        if (size == epsilonCount.length) {
            int n = size * 2;
            epsilon = Arrays.copyOf(epsilon, n);
            epsilonCount = Arrays.copyOf(epsilonCount, n);
            edges = Arrays.copyOf(edges, n);
            edgeCount = Arrays.copyOf(edgeCount, n);
        }
        return size++;
    }

    private void addEpsilon(int from, int to) {
        int[] e = epsilon[from];
        if (e == null) {
            e = epsilon[from] = new int[2];
        } else if (epsilonCount[from] == e.length) {
            e = epsilon[from] = Arrays.copyOf(e, e.length * 2);
        }
        e[epsilonCount[from]++] = to;
    }

    private void addEdge(int from, int lo, int hi, int to) {
        int[] e = edges[from];
        if (e == null) {
            e = edges[from] = new int[6];
        } else if (edgeCount[from] + 3 > e.length) {
            e = edges[from] = Arrays.copyOf(e, e.length * 2);
        }
        e[edgeCount[from]++] = lo;
        e[edgeCount[from]++] = hi;
        e[edgeCount[from]++] = to;
    }

    /** Code point ranges as UTF-8 byte-range sequences. */
    static final class Utf8Sequences {
        private Utf8Sequences() {
        }

        static List<int[][]> of(CharSet set) {
            List<int[][]> out = new ArrayList<>();
            int[] r = set.ranges();
            for (int i = 0; i < r.length; i += 2) {
                split(r[i], r[i + 1], out);
            }
            return out;
        }

        private static void split(int lo, int hi, List<int[][]> out) {
            if (lo > hi) {
                return;
            }
            for (int boundary : new int[] {0x7F, 0x7FF, 0xFFFF}) {
                if (lo <= boundary && boundary < hi) {
                    split(lo, boundary, out);
                    split(boundary + 1, hi, out);
                    return;
                }
            }
            int n = length(lo);
            for (int i = 1; i < n; i++) {
                int m = (1 << (6 * i)) - 1;
                if ((lo & ~m) != (hi & ~m)) {
                    if ((lo & m) != 0) {
                        split(lo, lo | m, out);
                        split((lo | m) + 1, hi, out);
                        return;
                    }
                    if ((hi & m) != m) {
                        split(lo, (hi & ~m) - 1, out);
                        split(hi & ~m, hi, out);
                        return;
                    }
                }
            }
            int[] a = encode(lo);
            int[] b = encode(hi);
            int[][] seq = new int[n][];
            for (int k = 0; k < n; k++) {
                seq[k] = new int[] {a[k], b[k]};
            }
            out.add(seq);
        }

        private static int length(int c) {
            return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        }

        private static int[] encode(int c) {
            return switch (length(c)) {
                case 1 -> new int[] {c};
                case 2 -> new int[] {0xC0 | c >> 6, 0x80 | c & 0x3F};
                case 3 -> new int[] {0xE0 | c >> 12, 0x80 | c >> 6 & 0x3F, 0x80 | c & 0x3F};
                default -> new int[] {0xF0 | c >> 18, 0x80 | c >> 12 & 0x3F, 0x80 | c >> 6 & 0x3F, 0x80 | c & 0x3F};
            };
        }
    }
}
