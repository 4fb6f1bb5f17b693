package dev.minitron.worker.dev;

import java.util.List;

/**
 * The default topic names of the v1 wire contract, in one place for the dev broker and the CLI.
 * To be replaced by {@code dev.minitron.schemas.Topics} once the schemas module has it.
 */
public final class TopicNames {

    public static final String PROMPTS = "minitron.prompts";
    public static final String TOKENS = "minitron.tokens";
    public static final String COMPLETIONS = "minitron.completions";
    public static final String ERRORS = "minitron.errors";
    public static final String CANCELS = "minitron.cancels";

    public static final List<String> ALL = List.of(PROMPTS, TOKENS, COMPLETIONS, ERRORS, CANCELS);

    private TopicNames() {}
}
