package dev.minitron.worker.testing;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4, the one promtool and the
 * Go tools parse), written from the format's specification so that a test can hold /q/metrics to
 * it where promtool is not installed. It rejects what that parser rejects: an escape other than
 * {@code \\} and {@code \n} in a HELP text, other than {@code \\}, {@code \"} and {@code \n} in a
 * label value; a second HELP or TYPE line for a name, a TYPE after the name's samples, a type
 * outside counter, gauge, histogram, summary and untyped; malformed names, labels, values and
 * timestamps. It also rejects two samples with the same name and labels, which a scrape would
 * drop. {@link Scrape} stays the lenient reader the value assertions use.
 */
public final class StrictTextFormat {

    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    private final Map<String, Integer> help = new HashMap<>();
    private final Map<String, String> types = new HashMap<>();
    private final Set<String> sampled = new HashSet<>();
    private final Set<String> series = new HashSet<>();
    private int lineNumber;

    private StrictTextFormat() {}

    /**
     * Parses a whole page; returns how many samples it holds.
     *
     * @throws IllegalArgumentException naming the first offending line, as promtool would
     */
    public static int check(String page) {
        StrictTextFormat p = new StrictTextFormat();
        String[] lines = page.split("\n", -1);
        for (String line : lines) {
            p.lineNumber++;
            p.line(line);
        }
        return p.series.size();
    }

    private void line(String line) {
        String s = stripLeading(line);
        if (s.isEmpty()) {
            return;
        }
        if (s.charAt(0) == '#') {
            comment(s.substring(1));
        } else {
            sample(s);
        }
    }

    private void comment(String rest) {
        Cursor c = new Cursor(rest);
        c.blanks();
        String keyword = c.token();
        if (!keyword.equals("HELP") && !keyword.equals("TYPE")) {
            return;   // an ordinary comment
        }
        if (c.blanks() == 0) {
            throw error("no metric name after " + keyword);
        }
        String name = c.metricName();
        if (keyword.equals("HELP")) {
            if (help.putIfAbsent(name, lineNumber) != null) {
                throw error("second HELP line for metric name " + name);
            }
            if (!c.atEnd() && c.blanks() == 0) {
                throw error("invalid metric name in HELP line");
            }
            helpText(c.remaining());
            return;
        }
        if (c.blanks() == 0) {
            throw error("no type in TYPE line for " + name);
        }
        String type = c.token();
        c.blanks();
        if (!c.atEnd()) {
            throw error("unexpected text after the type of " + name);
        }
        if (!TYPES.contains(type)) {
            throw error("unknown metric type " + type);
        }
        if (types.containsKey(name) || sampled.contains(name)) {
            throw error("second TYPE line for metric name " + name + ", or TYPE reported after samples");
        }
        types.put(name, type);
    }

    private void helpText(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\\') {
                char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
                if (next != '\\' && next != 'n') {
                    throw error("invalid escape sequence '\\" + (next == 0 ? "" : String.valueOf(next)) + "' in HELP");
                }
                i++;
            }
        }
    }

    private void sample(String s) {
        Cursor c = new Cursor(s);
        String name = c.metricName();
        Map<String, String> labels = new TreeMap<>();
        int blanks = c.blanks();
        if (c.peek() == '{') {
            c.next();
            labels(c, labels);
            blanks = c.blanks();
        }
        if (blanks == 0 && !c.atEnd()) {
            throw error("no blank between the series and its value");
        }
        String value = c.token();
        if (value.isEmpty()) {
            throw error("no value for " + name);
        }
        floatValue(value);
        if (c.blanks() > 0 && !c.atEnd()) {
            String timestamp = c.token();
            try {
                Long.parseLong(timestamp);
            } catch (NumberFormatException e) {
                throw error("expected an integer timestamp, got " + timestamp);
            }
            c.blanks();
        }
        if (!c.atEnd()) {
            throw error("unexpected text after the value of " + name);
        }
        String family = family(name, labels);
        sampled.add(family);
        sampled.add(name);
        if (!series.add(name + labels)) {
            throw error("second sample of the series " + name + labels);
        }
    }

    /** The family a sample belongs to: a histogram's or summary's suffixes belong to its TYPE line. */
    private String family(String name, Map<String, String> labels) {
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                String type = types.get(base);
                if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
                    if (suffix.equals("_bucket") && !labels.containsKey("le")) {
                        throw error("histogram bucket " + name + " without an le label");
                    }
                    return base;
                }
            }
        }
        if ("histogram".equals(types.get(name))) {
            throw error("histogram " + name + " has a sample without _bucket, _sum or _count");
        }
        if ("summary".equals(types.get(name)) && !labels.containsKey("quantile")) {
            throw error("summary " + name + " has a sample without a quantile label");
        }
        return name;
    }

    private void labels(Cursor c, Map<String, String> labels) {
        while (true) {
            c.blanks();
            if (c.peek() == '}') {
                c.next();
                return;
            }
            String label = c.labelName();
            c.blanks();
            if (c.next() != '=') {
                throw error("expected '=' after the label name " + label);
            }
            c.blanks();
            if (c.next() != '"') {
                throw error("expected '\"' to open the value of label " + label);
            }
            StringBuilder value = new StringBuilder();
            while (true) {
                char ch = c.next();
                if (ch == 0) {
                    throw error("unterminated value of label " + label);
                }
                if (ch == '"') {
                    break;
                }
                if (ch == '\\') {
                    char esc = c.next();
                    switch (esc) {
                        case '\\' -> value.append('\\');
                        case '"' -> value.append('"');
                        case 'n' -> value.append('\n');
                        default -> throw error("invalid escape sequence '\\" + esc + "' in label value");
                    }
                } else {
                    value.append(ch);
                }
            }
            if (labels.put(label, value.toString()) != null) {
                throw error("duplicate label name " + label);
            }
            c.blanks();
            char after = c.next();
            if (after == '}') {
                return;
            }
            if (after != ',') {
                throw error("expected ',' or '}' after the value of label " + label);
            }
        }
    }

    private void floatValue(String v) {
        if (v.equals("NaN") || v.equals("+Inf") || v.equals("-Inf") || v.equals("Inf")) {
            return;
        }
        if (!v.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
            throw error("expected a float value, got " + v);
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("text format parsing error in line " + lineNumber + ": " + what);
    }

    private static String stripLeading(String line) {
        int i = 0;
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        return line.substring(i);
    }

    /** Reads one line left to right; {@code 0} stands for the end. */
    private final class Cursor {
        private final String s;
        private int i;

        Cursor(String s) {
            this.s = s;
        }

        char peek() {
            return i < s.length() ? s.charAt(i) : 0;
        }

        char next() {
            return i < s.length() ? s.charAt(i++) : 0;
        }

        boolean atEnd() {
            return i >= s.length();
        }

        int blanks() {
            int start = i;
            while (peek() == ' ' || peek() == '\t') {
                i++;
            }
            return i - start;
        }

        String token() {
            int start = i;
            while (!atEnd() && peek() != ' ' && peek() != '\t') {
                i++;
            }
            return s.substring(start, i);
        }

        String remaining() {
            String r = s.substring(i);
            i = s.length();
            return r;
        }

        String metricName() {
            return name(true);
        }

        String labelName() {
            return name(false);
        }

        private String name(boolean colons) {
            int start = i;
            while (!atEnd()) {
                char ch = peek();
                boolean letter = ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (colons && ch == ':');
                boolean digit = ch >= '0' && ch <= '9';
                if (!letter && !(digit && i > start)) {
                    break;
                }
                i++;
            }
            if (i == start) {
                throw error("invalid " + (colons ? "metric" : "label") + " name at column " + (start + 1));
            }
            return s.substring(start, i);
        }
    }
}
