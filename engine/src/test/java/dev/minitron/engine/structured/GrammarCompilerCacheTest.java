package dev.minitron.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The compiled-grammar cache: a hit is the same grammar; the masks it keeps stay within their budget. */
class GrammarCompilerCacheTest {

    private final TokenVocabulary vocab = new TokenVocabulary(TokenMaskTest.vocabulary(3000, 5), 2);

    @Test
    void aSecondCompileOfTheSameRequestIsACacheHit() {
        GrammarCompiler compiler = new GrammarCompiler(vocab);
        TokenGrammar first = compiler.compile(StructuredOutputsParams.regex("[a-z]{2,9}"));

        assertThat(compiler.compile(StructuredOutputsParams.regex("[a-z]{2,9}"))).isSameAs(first);
        assertThat(compiler.compile(StructuredOutputsParams.regex("[a-z]{2,8}"))).isNotSameAs(first);
    }

    @Test
    void grammarsLeaveTheCacheWhenTheirMasksExceedTheBudget() throws Exception {
        TokenGrammar one = new GrammarCompiler(vocab).compile(StructuredOutputsParams.regex("[a-z ]{1,40}"));
        one.masksReady().get(60, TimeUnit.SECONDS);
        long perGrammar = one.maskBytes();
        assertThat(perGrammar).isPositive();

        // Room for about two such grammars' masks; ten distinct ones compiled one after the other.
        GrammarCompiler compiler = new GrammarCompiler(vocab, 256, perGrammar * 5 / 2);
        for (int n = 31; n <= 40; n++) {
            compiler.compile(StructuredOutputsParams.regex("[a-z ]{1," + n + "}")).masksReady().get(60, TimeUnit.SECONDS);
        }

        assertThat(compiler.cached()).isBetween(1, 3);
        TokenGrammar newest = compiler.compile(StructuredOutputsParams.regex("[a-z ]{1,40}"));
        assertThat(newest.masksReady()).isDone();   // still cached: the newest is kept
    }
}
