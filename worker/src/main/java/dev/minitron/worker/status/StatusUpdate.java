package dev.minitron.worker.status;

/**
 * What one record of the input topics says about its request: the small internal value of the
 * stream of the four input topics that {@link StatusFold} folds into a {@link RequestStatus}. Never leaves the
 * process (no serde): the four sources are co-partitioned by id and merged in place.
 */
record StatusUpdate(
        Kind kind,
        int attempt,
        int tokenCount,
        String tenant,
        String finishReason,
        int promptTokens,
        int completionTokens,
        String worker,
        String model,
        String errorCode,
        String errorMessage) {

    enum Kind { PROMPT, TOKENS, COMPLETION, ERROR }

    static StatusUpdate prompt(String tenant) {
        return new StatusUpdate(Kind.PROMPT, 0, 0, tenant, null, 0, 0, null, null, null, null);
    }

    static StatusUpdate tokens(int attempt, int tokenCount) {
        return new StatusUpdate(Kind.TOKENS, attempt, tokenCount, null, null, 0, 0, null, null, null, null);
    }

    static StatusUpdate completion(int attempt, String finishReason, int promptTokens, int completionTokens,
            String worker, String model, String errorCode, String errorMessage) {
        return new StatusUpdate(Kind.COMPLETION, attempt, 0, null, finishReason, promptTokens, completionTokens,
                worker, model, errorCode, errorMessage);
    }

    static StatusUpdate error(String code, String message, String worker) {
        return new StatusUpdate(Kind.ERROR, 0, 0, null, null, 0, 0, worker, null, code, message);
    }
}
