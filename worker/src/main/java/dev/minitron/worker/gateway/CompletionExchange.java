package dev.minitron.worker.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorCode;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.FinishReason;
import dev.minitron.schemas.TokenEvent;
import dev.minitron.schemas.TokenLogprob;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * One {@code POST /v1/completions} from registration to its last byte, on the Vert.x context of
 * its connection (the router's callbacks hop onto it, so its state has one thread).
 *
 * <p>A stream follows the highest attempt of the prompt. A worker that dies mid-stream leaves
 * its prompt to be redelivered, and the new attempt starts its text from the beginning: this
 * exchange skips what the caller already has and goes on from there, so the caller sees one
 * whole answer. That works because the new attempt writes the same text (greedy, or the seed the
 * gateway always sets); should it not, the caller gets an error event ({@code stream_restarted})
 * instead of two texts spliced together (docs/gateway.md).
 */
final class CompletionExchange implements AnswerListener {

    private final Gateway gateway;
    private final CompletionRequest request;
    private final HttpServerResponse response;
    private final Context context;
    private final Span span;
    private final long created = System.currentTimeMillis() / 1000;
    private final StringBuilder sent = new StringBuilder();
    private final StringBuilder attemptText = new StringBuilder();
    private int attempt;
    private boolean finished;
    private boolean headersSent;
    private long promptTimestampMillis;
    private long deadlineTimer = -1;

    CompletionExchange(Gateway gateway, CompletionRequest request, HttpServerResponse response, Context context,
            Span span) {
        this.gateway = gateway;
        this.request = request;
        this.response = response;
        this.context = context;
        this.span = span;
    }

    /**
     * Answers from the recent completions when this id was answered lately (a retried POST),
     * joins a caller of this instance already waiting for it, or produces the prompt.
     */
    void start() {
        response.closeHandler(v -> onClientGone());
        CompletionEvent earlier = gateway.router().recentCompletion(request.id());
        if (earlier != null) {
            span.setAttribute("minitron.gateway.answered_from", "recent");
            complete(earlier);
            return;
        }
        boolean joined = gateway.router().waitingFor(request.id());
        gateway.router().register(request.id(), this);
        // the grace lets the worker's own timeout answer first, with what it generated
        deadlineTimer = gateway.vertx().setTimer(request.timeout().toMillis() + Gateway.DEADLINE_GRACE_MILLIS,
                t -> fail(new OpenAiError(504, "timeout", "timeout", null,
                        "no answer within the request's deadline (" + request.timeout().toMillis() + " ms)")));
        if (joined) {
            span.setAttribute("minitron.gateway.answered_from", "joined");
            return;
        }
        gateway.produce(request, span, (timestamp, error) -> context.runOnContext(v -> {
            if (error != null) {
                fail(new OpenAiError(503, "server_error", "prompts_unavailable", null,
                        "the prompts topic did not take the request: " + error.getMessage()));
            } else {
                promptTimestampMillis = timestamp;
            }
        }));
    }

    @Override
    public void onToken(TokenEvent token) {
        if (request.stream()) {
            context.runOnContext(v -> token(token));
        }
    }

    @Override
    public void onCompletion(CompletionEvent completion) {
        context.runOnContext(v -> complete(completion));
    }

    @Override
    public void onError(ErrorEvent error) {
        context.runOnContext(v -> error(error));
    }

    private void token(TokenEvent t) {
        if (finished || t.attempt() < attempt) {
            return;
        }
        if (t.attempt() > attempt) {
            if (attempt > 0) {
                span.addEvent("attempt " + t.attempt() + " restarts the stream");
            }
            attempt = t.attempt();
            attemptText.setLength(0);
        }
        attemptText.append(t.text());
        int before = sent.length();
        String delta = catchUp(attemptText);
        if (delta != null && !delta.isEmpty()) {
            List<TokenLogprob> logprobs = delta.equals(t.text()) ? t.logprobs() : null;
            writeChunk(CompletionFormat.chunk(request.localId(), created, gateway.modelName(), delta, logprobs, before,
                    null));
        }
    }

    /**
     * What {@code text} adds to what was sent, once it agrees with it; "" while it is still
     * behind; null (and the stream ends with an error) when it says something else.
     */
    private String catchUp(CharSequence text) {
        int common = Math.min(text.length(), sent.length());
        for (int i = 0; i < common; i++) {
            if (text.charAt(i) != sent.charAt(i)) {
                fail(new OpenAiError(502, "server_error", "stream_restarted", null,
                        "the worker generating this stream failed and the retried attempt produced different text;"
                                + " retry the request"));
                return null;
            }
        }
        if (text.length() <= sent.length()) {
            return "";
        }
        String delta = text.subSequence(sent.length(), text.length()).toString();
        sent.append(delta);
        return delta;
    }

    private void complete(CompletionEvent c) {
        if (finished) {
            return;
        }
        span.setAttribute("minitron.attempt", c.attempt());
        span.setAttribute("gen_ai.response.finish_reasons", c.finishReason().wireName());
        if (c.finishReason() == FinishReason.TIMEOUT) {
            fail(new OpenAiError(504, "timeout", "timeout", null, "the request passed its deadline after "
                    + c.usage().completionTokens() + " tokens"));
            return;
        }
        if (c.finishReason() == FinishReason.ERROR) {
            CompletionEvent.ErrorInfo e = c.error();
            fail(new OpenAiError(e.code() == ErrorCode.PROMPT_TOO_LONG ? 400 : 500,
                    e.code() == ErrorCode.PROMPT_TOO_LONG ? "invalid_request_error" : "server_error",
                    e.code().wireName(), e.code() == ErrorCode.PROMPT_TOO_LONG ? "prompt" : null, e.message()));
            return;
        }
        if (!request.stream()) {
            finish(200);
            gateway.metrics().requestDone("completions", 200);
            response.putHeader("Content-Type", "application/json")
                    .end(CompletionFormat.completion(request.localId(), created, gateway.modelName(), c).toString());
            return;
        }
        int before = sent.length();
        String rest = catchUp(c.text());
        if (rest == null) {
            return;
        }
        if (!rest.isEmpty()) {
            writeChunk(CompletionFormat.chunk(request.localId(), created, gateway.modelName(), rest, null, before, null));
        }
        writeChunk(CompletionFormat.chunk(request.localId(), created, gateway.modelName(), "", null, sent.length(),
                CompletionFormat.finishReason(c)));
        if (request.includeUsage()) {
            writeChunk(CompletionFormat.usageChunk(request.localId(), created, gateway.modelName(), c.usage()));
        }
        finish(200);
        gateway.metrics().requestDone("completions", 200);
        response.end("data: [DONE]\n\n");
    }

    private void error(ErrorEvent e) {
        if (finished) {
            return;
        }
        if (e.code() == ErrorCode.DUPLICATE_ID) {
            // Another record with this id is being (or was) answered: that answer is ours.
            CompletionEvent earlier = gateway.router().recentCompletion(request.id());
            if (earlier != null) {
                complete(earlier);
            }
            return;
        }
        fail(new OpenAiError(400, "invalid_request_error", e.code().wireName(),
                e.code() == ErrorCode.PROMPT_TOO_LONG ? "prompt" : null, e.message()));
    }

    private void writeChunk(ObjectNode chunk) {
        if (!headersSent) {
            headersSent = true;
            gateway.metrics().streamOpened();
            if (promptTimestampMillis > 0) {
                gateway.metrics().firstByte(System.currentTimeMillis() - promptTimestampMillis);
            }
            response.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache");
        }
        response.write(Buffer.buffer("data: " + chunk + "\n\n"));
    }

    /** Ends the exchange with an error: its status when nothing was sent yet, else an error event in the stream. */
    void fail(OpenAiError error) {
        if (finished) {
            return;
        }
        finish(error.status());
        span.setStatus(StatusCode.ERROR, error.code());
        gateway.metrics().requestDone("completions", error.status());
        if (headersSent) {
            response.end("data: " + error.toJson() + "\n\n");
        } else {
            response.setStatusCode(error.status()).putHeader("Content-Type", "application/json")
                    .end(error.toJson().toString());
        }
        if (error.status() == 504) {
            gateway.cancel(request.id(), "the gateway's deadline passed");
        }
    }

    private void finish(int status) {
        finished = true;
        gateway.router().unregister(request.id(), this);
        if (deadlineTimer >= 0) {
            gateway.vertx().cancelTimer(deadlineTimer);
        }
        if (headersSent) {
            gateway.metrics().streamClosed();
        }
        gateway.closed(request, span, status);
    }

    /**
     * The caller went away before its answer: the prompt is cancelled (the worker frees its KV
     * cache within one step), unless it carried an Idempotency-Key, whose point is a retry that
     * picks up the answer, or another caller of this instance still waits for the same id.
     */
    private void onClientGone() {
        if (finished) {
            return;
        }
        finish(499);
        gateway.metrics().requestDone("completions", 499);
        span.addEvent("client disconnected");
        if (!request.idempotent() && !gateway.router().waitingFor(request.id())) {
            gateway.cancel(request.id(), "the HTTP client disconnected");
        }
    }
}
