package dev.minitron.engine.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Compiles structured-output requests into {@link TokenGrammar}s over one vocabulary: front end
 * (JSON Schema, regex, choice, GBNF) to {@link Rx}, to a minimal byte DFA and its mask classes,
 * then the start state's mask. The other masks are computed right after, on a compile thread of
 * their own, so admission does not wait for them and the engine thread rarely has to. Each
 * distinct request is compiled once and kept by the SHA-256 of its kind and text in a bounded LRU
 * cache, so the thousandth request with a schema costs a hash. Called where requests are
 * admitted, never on the engine thread. Thread-safe.
 */
public final class GrammarCompiler {

    /** Compiled grammars kept; each holds its DFA and the masks computed so far. */
    public static final int DEFAULT_CACHE_SIZE = 256;
    /**
     * The masks the cached grammars may hold together: a 10-property schema on a 256k vocabulary holds
     * ~3.7 MB of them once the compile thread is done, so 256 such grammars would hold ~1 GB. Past this,
     * the least recently used grammars leave the cache (their requests keep them while they run).
     */
    public static final long DEFAULT_CACHE_MASK_BYTES = 256L << 20;
    /**
     * Computes the masks of newly compiled grammars, one grammar at a time: a daemon thread shared by
     * every compiler, so a burst of new schemas queues here instead of taking every core.
     */
    private static final ExecutorService MASKS = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("minitron-grammar-masks").daemon().factory());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenVocabulary vocabulary;
    private final Map<String, TokenGrammar> cache;
    private final long maxMaskBytes;

    public GrammarCompiler(TokenVocabulary vocabulary) {
        this(vocabulary, DEFAULT_CACHE_SIZE);
    }

    public GrammarCompiler(TokenVocabulary vocabulary, int cacheSize) {
        this(vocabulary, cacheSize, DEFAULT_CACHE_MASK_BYTES);
    }

    public GrammarCompiler(TokenVocabulary vocabulary, int cacheSize, long cacheMaskBytes) {
        this.vocabulary = vocabulary;
        this.maxMaskBytes = cacheMaskBytes;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, TokenGrammar> eldest) {
                return size() > cacheSize;
            }
        };
    }

    /**
     * @throws GrammarException when the request cannot be constrained: it names the unsupported
     *     keyword or the position of the syntax error
     */
    public TokenGrammar compile(StructuredOutputsParams params) {
        String key = key(params);
        synchronized (cache) {
            TokenGrammar cached = cache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        TokenGrammar grammar = new TokenGrammar(ByteDfa.of(language(params)), vocabulary);
        grammar.mask(0);   // every request's first step
        synchronized (cache) {
            TokenGrammar raced = cache.putIfAbsent(key, grammar);
            if (raced != null) {
                return raced;
            }
        }
        MASKS.execute(() -> {
            boolean cached;
            synchronized (cache) {
                cached = cache.containsKey(key);   // containsKey: a look that does not refresh the LRU order
            }
            if (cached) {
                grammar.precomputeAll();
                trimToMaskBytes();
            } else {
                grammar.masksReady().complete(null);   // evicted before its turn: a burst of new schemas queues no memory
            }
        });
        return grammar;
    }

    /** Drops least recently used grammars while the cache's masks exceed their budget (keeps the newest). */
    private void trimToMaskBytes() {
        synchronized (cache) {
            long total = cache.values().stream().mapToLong(TokenGrammar::maskBytes).sum();
            var eldest = cache.values().iterator();
            while (total > maxMaskBytes && cache.size() > 1 && eldest.hasNext()) {
                total -= eldest.next().maskBytes();
                eldest.remove();
            }
        }
    }

    /** Grammars in the cache now. */
    int cached() {
        synchronized (cache) {
            return cache.size();
        }
    }

    static Rx language(StructuredOutputsParams params) {
        if (params.json() != null) {
            JsonNode schema;
            try {
                schema = JSON.readTree(params.json());
            } catch (JsonProcessingException e) {
                throw new GrammarException(GrammarException.Kind.SYNTAX, "the JSON schema is not valid JSON", -1);
            }
            return JsonSchemaCompiler.compile(schema);
        }
        if (params.regex() != null) {
            return RegexParser.parse(params.regex()).rx();
        }
        if (params.choice() != null) {
            List<Rx> options = params.choice().stream().map(Rx::literal).toList();
            return Rx.alt(options);
        }
        if (params.grammar() != null) {
            return GbnfParser.parse(params.grammar());
        }
        return JsonSchemaCompiler.anyObject();
    }

    private static String key(StructuredOutputsParams p) {
        StringBuilder s = new StringBuilder(p.kind()).append('\0');
        if (p.json() != null) {
            s.append(p.json());
        } else if (p.regex() != null) {
            s.append(p.regex());
        } else if (p.grammar() != null) {
            s.append(p.grammar());
        } else if (p.choice() != null) {
            for (String c : p.choice()) {
                s.append(c.length()).append(':').append(c);
            }
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
