package dev.minitron.worker.mapping;

import dev.minitron.engine.RequestOutput;
import dev.minitron.engine.sample.TokenLogprobs;
import dev.minitron.engine.tokenizer.Tokenizer;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.FinishReason;
import dev.minitron.schemas.TokenEvent;
import dev.minitron.schemas.TokenIds;
import dev.minitron.schemas.TokenLogprob;
import dev.minitron.worker.engine.EngineHolder;
import dev.minitron.worker.engine.WorkerIdentity;
import dev.minitron.worker.kafka.InFlight;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;

/** Engine outputs to wire events. Timing on the wire counts from the prompt record's timestamp. */
@ApplicationScoped
public class EventMapper {

    private final Tokenizer tokenizer;
    private final String model;
    private final String worker;

    public EventMapper(EngineHolder engine, WorkerIdentity identity) {
        this.tokenizer = engine.engine().tokenizer();
        this.model = engine.modelName();
        this.worker = identity.id();
    }

    public TokenEvent token(InFlight request, RequestOutput.TokenDelta delta) {
        List<TokenLogprob> logprobs = null;
        if (delta.logprobs() != null) {
            logprobs = delta.logprobs().stream().map(this::logprob).toList();
        }
        return new TokenEvent(request.id(), request.attempt(), delta.seq(), delta.text(),
                TokenIds.of(delta.tokenIds()), logprobs);
    }

    /** @param logprobs every generated token's logprobs, as the token events carried them (empty: none requested) */
    public CompletionEvent completion(InFlight request, RequestOutput.Finished f, List<TokenLogprob> logprobs) {
        long before = request.millisBeforeEngine();
        var usage = new CompletionEvent.Usage(f.promptTokens(), f.completionTokens(), f.cachedTokens());
        var timing = new CompletionEvent.Timing(before + f.queuedMillis(),
                f.ttftMillis() == null ? null : before + f.ttftMillis(), before + f.durationMillis());
        CompletionEvent.ErrorInfo error = null;
        if (f.reason() == dev.minitron.engine.FinishReason.ERROR) {
            error = new CompletionEvent.ErrorInfo(errorCode(f.errorCode()), f.errorMessage());
        }
        return new CompletionEvent(request.id(), request.attempt(), f.text(), finishReason(f.reason()), usage, timing,
                model, worker, error, request.metadata(), logprobs.isEmpty() ? null : List.copyOf(logprobs),
                f.incomplete() ? Boolean.TRUE : null);
    }

    /** The same completion without its per-token logprobs (they made the record too large). */
    public CompletionEvent withoutLogprobs(CompletionEvent c) {
        return new CompletionEvent(c.id(), c.attempt(), c.text(), c.finishReason(), c.usage(), c.timing(), c.model(),
                c.worker(), c.error(), c.metadata(), null, c.incomplete());
    }

    /** An error completion in place of one that cannot fit in a record. */
    public CompletionEvent tooLarge(CompletionEvent c, int bytes, int limit) {
        var error = new CompletionEvent.ErrorInfo(ErrorCode.INTERNAL, "the completion is " + bytes
                + " bytes, more than one record may hold (" + limit + "); lower max_tokens or logprobs");
        return new CompletionEvent(c.id(), c.attempt(), "", FinishReason.ERROR, c.usage(), c.timing(), c.model(),
                c.worker(), error, c.metadata(), null);
    }

    private TokenLogprob logprob(TokenLogprobs l) {
        List<TokenLogprob.Alternative> top = new ArrayList<>(l.topTokenIds().length);
        for (int i = 0; i < l.topTokenIds().length; i++) {
            if (l.topTokenIds()[i] >= 0) {
                top.add(new TokenLogprob.Alternative(l.topTokenIds()[i], piece(l.topTokenIds()[i]), l.topLogprobs()[i]));
            }
        }
        return new TokenLogprob(l.tokenId(), piece(l.tokenId()), l.logprob(), top);
    }

    private String piece(int id) {
        return tokenizer.decode(new int[] {id});
    }

    static FinishReason finishReason(dev.minitron.engine.FinishReason reason) {
        return switch (reason) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case TIMEOUT -> FinishReason.TIMEOUT;
            case CANCELLED -> FinishReason.CANCELLED;
            case ERROR -> FinishReason.ERROR;
        };
    }

    static ErrorCode errorCode(String engineCode) {
        if (engineCode == null) {
            return ErrorCode.INTERNAL;
        }
        return switch (engineCode) {
            case "prompt_too_long" -> ErrorCode.PROMPT_TOO_LONG;
            case "duplicate_id" -> ErrorCode.DUPLICATE_ID;
            case "invalid_request" -> ErrorCode.INVALID_REQUEST;
            default -> ErrorCode.INTERNAL;
        };
    }
}
