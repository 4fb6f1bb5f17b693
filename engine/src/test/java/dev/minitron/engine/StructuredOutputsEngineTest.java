package dev.minitron.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.minitron.engine.sample.SamplingParams;
import dev.minitron.engine.structured.GrammarCompiler;
import dev.minitron.engine.structured.StructuredOutputsParams;
import dev.minitron.engine.structured.TokenGrammar;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proof that structured outputs hold: the tiny random-weight model, which tries everything a
 * grammar permits, samples (temperature 1, many seeds) over 1,000 constrained completions. Every
 * one that ends with {@code stop} is judged by independent checkers: Jackson and the networknt
 * JSON Schema validator for schemas, {@code List.contains} for choices, java.util.regex for
 * regexes. Nothing is biased: the grammar alone brings the outputs to an end.
 */
class StructuredOutputsEngineTest {

    static final List<String> CHOICE = List.of("yes", "no", "maybe later", "日本語", "n/a");
    static final List<String> REGEXES = List.of("[a-z]{1,5}@[a-z]{1,4}\\.(com|org)", "\\d{3}-\\d{4}", "(true|false)",
            "[^0-9]{2,3}x?");
    static final String GRAMMAR = """
            # a short list of numbers
            root ::= "[" num ("," num){0,3} "]"
            num  ::= [1-9] [0-9]?
            """;
    static final Pattern GRAMMAR_AS_REGEX = Pattern.compile("\\[[1-9][0-9]?(,[1-9][0-9]?){0,3}\\]");
    static final int SEEDS = 30;

    private static LlmEngine engine;
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    @BeforeAll
    static void start() {
        engine = EngineHarness.engine(EngineConfig.defaults().withMaxNumSeqs(64));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    private record Case(String label, TokenGrammar grammar, Predicate<String> valid) {
    }

    @Test
    void everyCompletionThatStopsIsValid() throws Exception {
        GrammarCompiler compiler = engine.grammarCompiler();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < StructuredOutputsEngineTestSchemas.SCHEMAS.size(); i++) {
            Schema schema = registry.getSchema(STRICT.readTree(StructuredOutputsEngineTestSchemas.SCHEMAS.get(i)));
            cases.add(new Case("schema " + i, compiler.compile(StructuredOutputsParams.json(StructuredOutputsEngineTestSchemas.SCHEMAS.get(i))), text -> {
                try {
                    JsonNode doc = STRICT.readTree(text);
                    return schema.validate(doc).isEmpty();
                } catch (Exception e) {
                    return false;
                }
            }));
        }
        // free-form objects may repeat a key (RFC 8259 allows it; docs/structured-outputs.md says so)
        ObjectMapper lenient = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        cases.add(new Case("json_object", compiler.compile(StructuredOutputsParams.anyJsonObject()), text -> {
            try {
                return lenient.readTree(text).isObject();
            } catch (Exception e) {
                return false;
            }
        }));
        cases.add(new Case("choice", compiler.compile(StructuredOutputsParams.choice(CHOICE)), CHOICE::contains));
        for (String regex : REGEXES) {
            Pattern p = Pattern.compile(regex);
            cases.add(new Case("regex " + regex, compiler.compile(StructuredOutputsParams.regex(regex)),
                    text -> p.matcher(text).matches()));
        }
        cases.add(new Case("grammar", compiler.compile(StructuredOutputsParams.grammar(GRAMMAR)),
                text -> GRAMMAR_AS_REGEX.matcher(text).matches()));

        int[] prompt = engine.tokenizer().encode("Answer in JSON:");
        List<EngineRequest> requests = new ArrayList<>();
        List<Case> caseOf = new ArrayList<>();
        for (Case c : cases) {
            for (int seed = 0; seed < SEEDS; seed++) {
                var params = SamplingParams.builder().maxTokens(64).temperature(1.0).seed((long) seed)
                        .grammar(c.grammar()).build();
                requests.add(new EngineRequest(c.label() + "#" + seed, prompt, params));
                caseOf.add(c);
            }
        }
        Map<String, EngineHarness.Collected> results = new java.util.HashMap<>();
        for (int from = 0; from < requests.size(); from += 256) {   // within the engine's queue limit
            var wave = EngineHarness.submitAll(engine, requests.subList(from, Math.min(requests.size(), from + 256)));
            wave.values().forEach(EngineHarness.Collected::await);
            results.putAll(wave);
        }
        int stopped = 0;
        List<String> failures = new ArrayList<>();
        Map<String, Integer> stopsPerCase = new java.util.TreeMap<>();
        for (int i = 0; i < requests.size(); i++) {
            EngineRequest r = requests.get(i);
            RequestOutput.Finished f = results.get(r.requestId()).await();
            Case c = caseOf.get(i);
            assertThat(f.reason()).as(r.requestId()).isIn(FinishReason.STOP, FinishReason.LENGTH);
            if (f.reason() == FinishReason.STOP) {
                stopped++;
                stopsPerCase.merge(c.label(), 1, Integer::sum);
                assertThat(f.incomplete()).as(r.requestId()).isFalse();
                if (!c.valid().test(f.text())) {
                    failures.add(r.requestId() + ": " + f.text());
                }
            } else if (!f.incomplete() && !c.valid().test(f.text())) {
                failures.add(r.requestId() + " (length, not marked incomplete): " + f.text());
            }
        }
        System.out.printf("structured outputs: %d completions, %d ended with stop, %d invalid%n",
                requests.size(), stopped, failures.size());
        assertThat(failures).isEmpty();
        assertThat(requests).hasSizeGreaterThanOrEqualTo(1000);
        assertThat(stopped).as("completions that ended with stop").isGreaterThanOrEqualTo(requests.size() * 3 / 4);
        for (Case c : cases) {
            assertThat(stopsPerCase.getOrDefault(c.label(), 0)).as("stops for " + c.label()).isPositive();
        }
    }
}
