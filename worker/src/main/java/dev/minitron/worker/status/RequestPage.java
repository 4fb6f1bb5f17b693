package dev.minitron.worker.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One page of {@code GET /requests}: entries in id order (UTF-8 byte order, as the stores keep
 * them). {@code next_cursor} is the id to pass as {@code cursor} for the next page; null on the last.
 */
public record RequestPage(
        @JsonProperty("requests") List<RequestStatus> requests,
        @JsonProperty("next_cursor") @JsonInclude(JsonInclude.Include.ALWAYS) String nextCursor) {

    public RequestPage {
        requests = List.copyOf(requests);
    }
}
