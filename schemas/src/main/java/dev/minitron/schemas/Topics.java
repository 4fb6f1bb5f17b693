package dev.minitron.schemas;

/** Default topic names; every one of them is configurable in a deployment. */
public final class Topics {
    public static final String PROMPTS = "minitron.prompts";
    public static final String TOKENS = "minitron.tokens";
    /** Compacted: a later attempt's completion replaces an earlier one with the same key. */
    public static final String COMPLETIONS = "minitron.completions";
    public static final String ERRORS = "minitron.errors";
    public static final String CANCELS = "minitron.cancels";

    private Topics() {}
}
