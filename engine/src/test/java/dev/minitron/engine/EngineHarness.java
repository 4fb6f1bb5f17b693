package dev.minitron.engine;

import dev.minitron.engine.backend.cpu.CpuBackend;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.engine.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/** A real engine over a real tiny checkpoint written to disk, shared by the engine tests. */
final class EngineHarness {

    private static Path checkpoint;

    static synchronized Path checkpoint() {
        if (checkpoint == null) {
            try {
                checkpoint = Files.createTempDirectory("minitron-engine-test").resolve("tiny");
                TinyCheckpoint.write(checkpoint, TinyPreset.TINY, 7);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return checkpoint;
    }

    static Tokenizer tokenizer() {
        return Tokenizers.load(checkpoint());
    }

    static LlmEngine engine(EngineConfig config) {
        return new LlmEngine(CpuBackend.load(checkpoint(), 2), tokenizer(), config);
    }

    /** Everything one request produced, completed when its {@link RequestOutput.Finished} arrives. */
    static final class Collected implements RequestSink {
        final List<RequestOutput.TokenDelta> deltas = new ArrayList<>();
        final CompletableFuture<RequestOutput.Finished> finished = new CompletableFuture<>();

        @Override
        public synchronized void accept(RequestOutput output) {
            switch (output) {
                case RequestOutput.TokenDelta d -> deltas.add(d);
                case RequestOutput.Finished f -> finished.complete(f);
            }
        }

        RequestOutput.Finished await() {
            return finished.orTimeout(60, java.util.concurrent.TimeUnit.SECONDS).join();
        }

        synchronized String streamedText() {
            StringBuilder sb = new StringBuilder();
            deltas.forEach(d -> sb.append(d.text()));
            return sb.toString();
        }

        synchronized int[] streamedTokens() {
            return deltas.stream().flatMapToInt(d -> java.util.Arrays.stream(d.tokenIds())).toArray();
        }
    }

    static Map<String, Collected> submitAll(LlmEngine engine, List<EngineRequest> requests) {
        Map<String, Collected> out = new ConcurrentHashMap<>();
        for (EngineRequest r : requests) {
            Collected c = new Collected();
            out.put(r.requestId(), c);
            engine.addRequest(r, c);
        }
        return out;
    }

    private EngineHarness() {
    }
}
