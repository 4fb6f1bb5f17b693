package dev.minitron.schemas.decode;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Text that is Unicode. JSON escapes can spell an unpaired UTF-16 surrogate (a lone escape from
 * D800 to DFFF), which is not: it has no UTF-8 bytes, so an id holding one would become another
 * Kafka key, and a prompt holding one could not be tokenized. The decoder rejects such input, and
 * every message it writes is cut and cleaned so that it never holds half a character either.
 */
final class Unicode {
    private Unicode() {}

    /** The index of the first unpaired surrogate in {@code text}, or -1. */
    static int unpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The path of the first string or key in {@code node} that holds an unpaired surrogate, or
     * null if there is none. {@code node} is at most a few levels deep (the parser caps nesting).
     */
    static String findUnpairedSurrogate(JsonNode node, String path) {
        if (node.isTextual()) {
            return unpairedSurrogate(node.textValue()) >= 0 ? path : null;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = findUnpairedSurrogate(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = shorten(clean(field.getKey()), 48);
            String child = path.isEmpty() ? name : path + "." + name;
            if (unpairedSurrogate(field.getKey()) >= 0) {
                return child + " (the key)";
            }
            String found = findUnpairedSurrogate(field.getValue(), child);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** {@code text} with each unpaired surrogate replaced by U+FFFD. */
    static String clean(String text) {
        if (unpairedSurrogate(text) < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out.toString();
    }

    /** At most {@code maxChars} of {@code text}, never cutting a surrogate pair, with "…" if cut. */
    static String shorten(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end) + "…";
    }
}
