package dev.minitron.worker.kafka;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Which prompt offsets beyond a partition's committed watermark were already started (handed to an
 * engine), with their attempt numbers, written into the committed offset's metadata string. A
 * worker cannot see what a dead worker started; the committed offset is the one place every owner of
 * the partition reads on assignment, and it is written anyway, so the journal costs no extra topic.
 *
 * <p>The encoding is short text: {@code j2:}, the watermark it was written with, {@code :}, then
 * runs separated by commas, each {@code gap[+length][@attempt][!]}, all numbers in base 36, where
 * {@code gap} counts from the end of the previous run (the first from the watermark),
 * {@code length} defaults to 1, {@code attempt} to 1, and {@code !} marks offsets whose answer was
 * already acknowledged. Example: watermark 100 ({@code 2s}), offsets 100–102 started once, 105
 * answered on its second attempt: {@code j2:2s:0+3,2@2!}.
 *
 * <p>The runs are relative to the watermark, so the journal is only read when the committed offset
 * is still the one it was written with: a tool that moves the committed offset and keeps its
 * metadata (an offset reset, MirrorMaker 2's offset sync) would otherwise shift "answered" marks onto
 * other records, which would then be skipped unanswered. A mismatch reads as "nothing started", and
 * so does the unanchored {@code j1:} format of earlier versions (attempts restart at 1 once, at the
 * upgrade).
 *
 * <p>The broker refuses metadata longer than {@code offset.metadata.max.bytes} (4096 by default), so
 * an encoding over {@code maxChars} is coarsened: neighbouring runs are merged, the merged run taking
 * the highest attempt and "answered" only if all of it was. A coarse journal therefore over-counts
 * (an offset never started may get attempt 3 instead of 1; an answered one is answered again), but
 * never under-counts: a redelivery's attempt is always above every attempt before it.
 */
public final class AttemptJournal {

    /** Offsets {@code [from, to)} were started, the latest as {@code attempt}; {@code done}: all answered. */
    public record Run(long from, long to, int attempt, boolean done) {
        public Run {
            if (to <= from || attempt < 1) {
                throw new IllegalArgumentException("bad run " + from + ".." + to + "@" + attempt);
            }
        }

        boolean contains(long offset) {
            return offset >= from && offset < to;
        }
    }

    /** The broker's default {@code offset.metadata.max.bytes} less a margin. */
    public static final int DEFAULT_MAX_CHARS = 4000;
    private static final String PREFIX = "j2:";

    private AttemptJournal() {}

    /**
     * Runs from single offsets: {@code started} (offset → attempt) and {@code done} (answered). An
     * answered offset that was never started (an error event, a skip) fits any attempt, so it joins
     * the answered run next to it instead of cutting it in two; alone it reads as attempt 1.
     */
    public static List<Run> runsOf(SortedMap<Long, Integer> started, SortedSet<Long> done) {
        List<Run> runs = new ArrayList<>();
        Iterator<Map.Entry<Long, Integer>> is = started.entrySet().iterator();
        Iterator<Long> id = done.iterator();
        Map.Entry<Long, Integer> es = is.hasNext() ? is.next() : null;
        Long ed = id.hasNext() ? id.next() : null;
        Run open = null;
        boolean openAnyAttempt = false;   // the open run holds only never-started answered offsets
        while (es != null || ed != null) {
            long o;
            Integer attempt;
            boolean d;
            if (ed == null || (es != null && es.getKey() < ed)) {
                o = es.getKey();
                attempt = es.getValue();
                d = false;
                es = is.hasNext() ? is.next() : null;
            } else if (es == null || ed < es.getKey()) {
                o = ed;
                attempt = null;
                d = true;
                ed = id.hasNext() ? id.next() : null;
            } else {
                o = ed;
                attempt = es.getValue();
                d = true;
                es = is.hasNext() ? is.next() : null;
                ed = id.hasNext() ? id.next() : null;
            }
            boolean adjacent = open != null && open.to() == o && open.done() == d;
            if (attempt == null && adjacent) {
                open = new Run(open.from(), o + 1, open.attempt(), d);
            } else if (attempt != null && adjacent && (open.attempt() == attempt || (openAnyAttempt && d))) {
                open = new Run(open.from(), o + 1, attempt, d);
                openAnyAttempt = false;
            } else {
                if (open != null) {
                    runs.add(open);
                }
                open = new Run(o, o + 1, attempt == null ? 1 : attempt, d);
                openAnyAttempt = attempt == null;
            }
        }
        if (open != null) {
            runs.add(open);
        }
        return runs;
    }

    /**
     * Both journals in one: where they overlap, the higher attempt (and its "answered" mark; on a tie,
     * answered if either says so). Inputs sorted and non-overlapping; so is the output.
     */
    public static List<Run> union(List<Run> a, List<Run> b) {
        TreeSet<Long> cuts = new TreeSet<>();
        for (List<Run> list : List.of(a, b)) {
            for (Run r : list) {
                cuts.add(r.from());
                cuts.add(r.to());
            }
        }
        List<Run> out = new ArrayList<>();
        int ia = 0;
        int ib = 0;
        Long prev = null;
        for (long cut : cuts) {
            if (prev != null) {
                long from = prev;
                while (ia < a.size() && a.get(ia).to() <= from) {
                    ia++;
                }
                while (ib < b.size() && b.get(ib).to() <= from) {
                    ib++;
                }
                Run ra = ia < a.size() && a.get(ia).contains(from) ? a.get(ia) : null;
                Run rb = ib < b.size() && b.get(ib).contains(from) ? b.get(ib) : null;
                Run pick = ra == null ? rb : rb == null ? ra : ra.attempt() > rb.attempt() ? ra
                        : rb.attempt() > ra.attempt() ? rb : ra.done() ? ra : rb;
                if (pick != null) {
                    append(out, new Run(from, cut, pick.attempt(), pick.done()));
                }
            }
            prev = cut;
        }
        return out;
    }

    /** The runs at or above {@code watermark}; a run straddling it is cut. */
    public static List<Run> from(List<Run> runs, long watermark) {
        List<Run> out = new ArrayList<>();
        for (Run r : runs) {
            if (r.to() > watermark) {
                out.add(r.from() >= watermark ? r : new Run(watermark, r.to(), r.attempt(), r.done()));
            }
        }
        return out;
    }

    /** The run holding {@code offset}, or null when it was never started. */
    public static Run find(List<Run> runs, long offset) {
        int lo = 0;
        int hi = runs.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Run r = runs.get(mid);
            if (offset < r.from()) {
                hi = mid - 1;
            } else if (offset >= r.to()) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    /** The metadata string for a commit at {@code watermark}, coarsened until it fits {@code maxChars}. */
    public static String encode(long watermark, List<Run> runs, int maxChars) {
        List<Run> current = from(runs, watermark);
        String text = write(watermark, current);
        long gap = 0;
        while (text.length() > maxChars && current.size() > 1) {
            gap = gap == 0 ? 1 : gap * 2;
            current = coarsen(current, gap);
            text = write(watermark, current);
        }
        return text;
    }

    /** Merges neighbours at most {@code maxGap} offsets apart (the highest attempt; answered only if both were). */
    static List<Run> coarsen(List<Run> runs, long maxGap) {
        List<Run> out = new ArrayList<>();
        for (Run r : runs) {
            Run last = out.isEmpty() ? null : out.getLast();
            if (last != null && r.from() - last.to() <= maxGap) {
                out.set(out.size() - 1, new Run(last.from(), r.to(), Math.max(last.attempt(), r.attempt()),
                        last.done() && r.done() && r.from() == last.to()));
            } else {
                out.add(r);
            }
        }
        return out;
    }

    private static String write(long watermark, List<Run> runs) {
        if (runs.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder(PREFIX).append(Long.toString(watermark, 36)).append(':');
        long end = watermark;
        boolean first = true;
        for (Run r : runs) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append(Long.toString(r.from() - end, 36));
            if (r.to() - r.from() != 1) {
                sb.append('+').append(Long.toString(r.to() - r.from(), 36));
            }
            if (r.attempt() != 1) {
                sb.append('@').append(Integer.toString(r.attempt(), 36));
            }
            if (r.done()) {
                sb.append('!');
            }
            end = r.to();
        }
        return sb.toString();
    }

    /**
     * Reads the journal committed with {@code watermark}. Metadata this worker did not write (empty,
     * another tool's, corrupt, {@code j1:}) or written with another watermark (the committed offset
     * was moved under it) reads as "nothing started": attempts restart at 1, which is what a worker
     * without the journal would do.
     */
    public static List<Run> decode(long watermark, String metadata) {
        if (metadata == null || !metadata.startsWith(PREFIX)) {
            return List.of();
        }
        int colon = metadata.indexOf(':', PREFIX.length());
        if (colon < 0 || colon == metadata.length() - 1) {
            return List.of();
        }
        List<Run> runs = new ArrayList<>();
        long end = watermark;
        try {
            if (Long.parseLong(metadata.substring(PREFIX.length(), colon), 36) != watermark) {
                return List.of();   // not written for this committed offset: the runs would land elsewhere
            }
            for (String part : metadata.substring(colon + 1).split(",")) {
                boolean done = part.endsWith("!");
                String p = done ? part.substring(0, part.length() - 1) : part;
                int attempt = 1;
                int at = p.indexOf('@');
                if (at >= 0) {
                    attempt = Integer.parseInt(p.substring(at + 1), 36);
                    p = p.substring(0, at);
                }
                long length = 1;
                int plus = p.indexOf('+');
                if (plus >= 0) {
                    length = Long.parseLong(p.substring(plus + 1), 36);
                    p = p.substring(0, plus);
                }
                long gap = Long.parseLong(p, 36);
                if (gap < 0 || length < 1) {
                    return List.of();
                }
                long from = end + gap;
                runs.add(new Run(from, from + length, attempt, done));
                end = from + length;
            }
        } catch (IllegalArgumentException e) {
            return List.of();
        }
        return runs;
    }

    private static void append(List<Run> out, Run r) {
        Run last = out.isEmpty() ? null : out.getLast();
        if (last != null && last.to() == r.from() && last.attempt() == r.attempt() && last.done() == r.done()) {
            out.set(out.size() - 1, new Run(last.from(), r.to(), r.attempt(), r.done()));
        } else {
            out.add(r);
        }
    }
}
