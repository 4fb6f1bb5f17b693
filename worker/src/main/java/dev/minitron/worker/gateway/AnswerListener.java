package dev.minitron.worker.gateway;

import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.ErrorEvent;
import dev.minitron.schemas.TokenEvent;

/** What the {@link AnswerRouter} hands to the request waiting for an id; called on the router's thread. */
interface AnswerListener {

    void onToken(TokenEvent token);

    void onCompletion(CompletionEvent completion);

    void onError(ErrorEvent error);
}
