package dev.minitron.engine.structured;

/**
 * One request's position in its grammar: the sampler asks it which tokens may come next, and the
 * engine advances it with each accepted token. EOS is allowed only where the language may end;
 * once EOS is taken the matcher is terminated. Not thread-safe: one per sequence, used by the
 * engine thread only.
 */
public final class GrammarMatcher {

    private final TokenGrammar grammar;
    private int state;
    private boolean terminated;

    GrammarMatcher(TokenGrammar grammar) {
        this.grammar = grammar;
        this.state = 0;
    }

    /** The tokens allowed next (only EOS once the output is complete and nothing may follow). */
    public TokenMask allowedTokens() {
        return grammar.mask(state);
    }

    /**
     * Moves past {@code token}.
     *
     * @throws IllegalStateException if the grammar does not allow it here (a sampler bug)
     */
    public void accept(int token) {
        if (terminated) {
            throw new IllegalStateException("the grammar has already ended");
        }
        if (token == grammar.eosId()) {
            if (!grammar.isAccepting(state)) {
                throw new IllegalStateException("EOS where the grammar may not end");
            }
            terminated = true;
            return;
        }
        int next = grammar.advance(state, token);
        if (next < 0) {
            throw new IllegalStateException("token " + token + " is not allowed by the grammar here");
        }
        state = next;
    }

    /** Whether the output so far is a complete string of the language (it may end here). */
    public boolean isComplete() {
        return terminated || grammar.isAccepting(state);
    }
}
