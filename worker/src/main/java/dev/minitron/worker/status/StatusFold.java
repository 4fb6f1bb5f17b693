package dev.minitron.worker.status;

/**
 * The status transitions: folds one {@link StatusUpdate} into the current entry. Pure, so the
 * rules are tested without Kafka. The rules, in order of the events a request can see:
 * <ul>
 *   <li>a prompt makes an unknown id {@code queued} and records its tenant; it never moves an id
 *       that is already further along (a second record with the same id is not a new request);
 *   <li>token events of a newer attempt than any seen make it {@code running} with their own
 *       count (a redelivery starts over); of the current attempt they add up while it runs, and
 *       are ignored once it is answered (late); of an older attempt they are ignored;
 *   <li>a completion of the newest attempt (or a newer one) answers it: {@code done}, or
 *       {@code error} when its finish reason is {@code error}; a completion of an older attempt
 *       than the one running is stale and ignored;
 *   <li>an error event answers only an id that has not started ({@code queued} or unknown): it
 *       says a record was rejected, which cannot end a request that runs or ran (a
 *       {@code duplicate_id} error is about the second record, not the request).
 * </ul>
 */
final class StatusFold {

    private static final String DUPLICATE_ID = "duplicate_id";

    private StatusFold() {}

    /** The entry after {@code update}; {@code current} itself when the update changes nothing. */
    static RequestStatus apply(RequestStatus current, String id, StatusUpdate update, long timestampMs) {
        return switch (update.kind()) {
            case PROMPT -> prompt(current, id, update, timestampMs);
            case TOKENS -> tokens(current, id, update, timestampMs);
            case COMPLETION -> completion(current, id, update, timestampMs);
            case ERROR -> error(current, id, update, timestampMs);
        };
    }

    private static RequestStatus prompt(RequestStatus current, String id, StatusUpdate u, long ts) {
        RequestStatus base = current != null ? current : RequestStatus.first(id, RequestState.QUEUED, ts);
        return base.withPrompt(u.tenant(), ts);
    }

    private static RequestStatus tokens(RequestStatus current, String id, StatusUpdate u, long ts) {
        if (current == null) {
            return RequestStatus.first(id, RequestState.RUNNING, ts)
                    .withState(RequestState.RUNNING, u.attempt(), u.tokenCount(), ts);
        }
        if (u.attempt() > current.attempts()) {
            return current.restarted(u.attempt(), u.tokenCount(), Math.max(current.updatedMs(), ts));
        }
        if (u.attempt() == current.attempts() && !current.status().terminal()) {
            return current.withState(RequestState.RUNNING, current.attempts(),
                    current.tokens() + u.tokenCount(), Math.max(current.updatedMs(), ts));
        }
        return current;
    }

    private static RequestStatus completion(RequestStatus current, String id, StatusUpdate u, long ts) {
        RequestStatus base = current != null ? current : RequestStatus.first(id, RequestState.RUNNING, ts);
        if (current != null && u.attempt() < current.attempts()) {
            return current;
        }
        RequestState state = "error".equals(u.finishReason()) ? RequestState.ERROR : RequestState.DONE;
        Long completedMs = base.completedMs() != null ? base.completedMs() : Long.valueOf(ts);
        return base.answered(state, u.attempt(), u.completionTokens(), u.worker(), u.model(), u.finishReason(),
                u.promptTokens(), u.completionTokens(), u.errorCode(), u.errorMessage(),
                Math.max(base.updatedMs(), ts), completedMs);
    }

    private static RequestStatus error(RequestStatus current, String id, StatusUpdate u, long ts) {
        if (current != null && (current.status() != RequestState.QUEUED || DUPLICATE_ID.equals(u.errorCode()))) {
            return current;
        }
        RequestStatus base = current != null ? current : RequestStatus.first(id, RequestState.ERROR, ts);
        return base.answered(RequestState.ERROR, base.attempts(), base.tokens(), u.worker(), null, null, null,
                null, u.errorCode(), u.errorMessage(), Math.max(base.updatedMs(), ts), null);
    }
}
