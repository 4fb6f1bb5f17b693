package dev.minitron.worker.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.minitron.worker.testing.AnswerChecker.Event;
import dev.minitron.worker.testing.AnswerChecker.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the completions and token events of one id must satisfy (docs/delivery.md, section 3): the
 * counting completion is the highest attempt and no higher attempt was started; each attempt's
 * {@code seq} runs 0..n without gap or repeat; the counting attempt's deltas concatenate to its text
 * (or, where faults are expected, to a gap-free prefix of it: a stream cut short); without redelivery,
 * one completion of attempt 1.
 */
final class AttemptRules {

    private AttemptRules() {
    }

    static List<String> check(String id, List<Event> completions, List<Event> tokens, int max, Prompt prompt,
            boolean expectRedelivery, List<String> cutStreams) {
        List<String> breaches = new ArrayList<>();
        JsonNode last = AnswerChecker.counting(completions).value();
        int finalAttempt = last.path("attempt").asInt();

        if (finalAttempt < 1) {
            breaches.add(id + ": completion without a valid attempt: " + last);
        }
        if (finalAttempt != max) {
            breaches.add(id + ": the highest completion is attempt " + finalAttempt + " but attempt " + max
                    + " was seen (token events of an attempt that never finished, above the one that did)");
        }
        if (!expectRedelivery && completions.getLast().value() != last) {
            breaches.add(id + ": a completion of attempt " + completions.getLast().value().path("attempt").asInt()
                    + " after one of attempt " + finalAttempt + " without any redelivery");
        }
        if (!expectRedelivery && max > 1) {
            breaches.add(id + ": attempt " + max + " without any redelivery");
        }
        if (completions.stream().map(c -> c.value().path("attempt").asInt()).distinct().count() < completions.size()) {
            breaches.add(id + ": two completions of the same attempt " + completions.stream()
                    .map(c -> c.value().path("attempt").asInt()).toList());
        }
        Map<Integer, List<JsonNode>> byAttempt = new TreeMap<>();
        for (Event t : tokens) {
            byAttempt.computeIfAbsent(t.value().path("attempt").asInt(), a -> new ArrayList<>()).add(t.value());
        }
        for (var a : byAttempt.entrySet()) {
            List<JsonNode> events = a.getValue();
            for (int i = 0; i < events.size(); i++) {
                if (events.get(i).path("seq").asInt(-1) != i) {
                    breaches.add(id + " attempt " + a.getKey() + ": token event #" + i + " of " + events.size()
                            + " has seq " + events.get(i).path("seq").asInt(-1) + "; seqs must run 0..n without gap or repeat");
                    break;
                }
            }
        }
        List<JsonNode> finalTokens = byAttempt.get(finalAttempt);
        boolean streamed = prompt == null || prompt.stream();
        if (finalTokens != null) {
            if (!streamed) {
                breaches.add(id + ": token events although the prompt set stream false");
            }
            StringBuilder text = new StringBuilder();
            finalTokens.forEach(t -> text.append(t.path("text").asText()));
            if (expectRedelivery && !text.toString().equals(last.path("text").asText())
                    && last.path("text").asText().startsWith(text.toString())) {
                cutStreams.add(id);   // a token event failed to send: the stream stopped there, without a gap
            } else if (!text.toString().equals(last.path("text").asText())) {
                breaches.add(id + " attempt " + finalAttempt + ": token texts concatenate to " + AnswerChecker.quote(text.toString())
                        + " but the completion says " + AnswerChecker.quote(last.path("text").asText()));
            }
        } else if (streamed && last.path("usage").path("completion_tokens").asInt() > 0 && expectRedelivery) {
            cutStreams.add(id);   // the first token event already failed: a stream cut at seq 0
        } else if (streamed && last.path("usage").path("completion_tokens").asInt() > 0) {
            breaches.add(id + ": completion of attempt " + finalAttempt + " with "
                    + last.path("usage").path("completion_tokens").asInt() + " tokens but no token events for it");
        }
        return breaches;
    }
}
