package dev.minitron.worker.status;

import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The REST face of the views: {@code GET /requests/{id}}, {@code GET /requests} and
 * {@code GET /usage/{tenant}} (see docs/status.md). Blocking: a query may be forwarded to
 * another instance over HTTP.
 */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class StatusResource {

    static final int DEFAULT_LIMIT = 100;
    static final Duration DEFAULT_USAGE_SPAN = Duration.ofHours(1);

    private final StatusStreams views;

    public StatusResource(StatusStreams views) {
        this.views = views;
    }

    @GET
    @Path("requests/{id}")
    public Response request(@PathParam("id") String id, @QueryParam("forwarded") boolean forwarded) {
        StatusQueries q = views.queries();
        return respond(q == null ? unavailable() : q.request(id, forwarded));
    }

    @GET
    @Path("requests")
    public Response list(@QueryParam("tenant") String tenant, @QueryParam("status") String status,
            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor, @QueryParam("scope") String scope) {
        RequestState state = null;
        if (status != null && !status.isEmpty()) {
            state = RequestState.fromWireName(status);
            if (state == null) {
                return respond(StatusAnswer.badRequest("status must be queued, running, done or error, was " + status));
            }
        }
        int n = DEFAULT_LIMIT;
        if (limit != null && !limit.isEmpty()) {
            try {
                n = Integer.parseInt(limit);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > StatusQueries.MAX_LIMIT) {
                return respond(StatusAnswer.badRequest("limit must be 1.." + StatusQueries.MAX_LIMIT + ", was " + limit));
            }
        }
        if (scope != null && !scope.equals("local") && !scope.equals("all")) {
            return respond(StatusAnswer.badRequest("scope must be local or all, was " + scope));
        }
        StatusQueries q = views.queries();
        return respond(q == null ? unavailable()
                : q.list(emptyToNull(tenant), state, n, emptyToNull(cursor), "local".equals(scope)));
    }

    @GET
    @Path("usage/{tenant}")
    public Response usage(@PathParam("tenant") String tenant, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("forwarded") boolean forwarded) {
        long toMs;
        long fromMs;
        try {
            toMs = to == null || to.isEmpty() ? System.currentTimeMillis() : instant(to);
            fromMs = from == null || from.isEmpty() ? toMs - DEFAULT_USAGE_SPAN.toMillis() : instant(from);
        } catch (DateTimeParseException | NumberFormatException e) {
            return respond(StatusAnswer.badRequest("from and to are epoch milliseconds or ISO-8601 instants ("
                    + "2026-11-27T10:00:00Z): " + e.getMessage()));
        }
        if (fromMs > toMs) {
            return respond(StatusAnswer.badRequest("from must not be after to"));
        }
        StatusQueries q = views.queries();
        return respond(q == null ? unavailable() : q.usage(tenant, fromMs, toMs, forwarded));
    }

    private StatusAnswer unavailable() {
        return StatusAnswer.unavailable(views.unavailableReason());
    }

    private static long instant(String s) {
        return s.chars().allMatch(Character::isDigit) ? Long.parseLong(s) : Instant.parse(s).toEpochMilli();
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static Response respond(StatusAnswer answer) {
        Response.ResponseBuilder r = Response.status(answer.status()).entity(answer.json()).type(MediaType.APPLICATION_JSON);
        if (answer.status() == 503) {
            r.header("Retry-After", "1");
        }
        return r.build();
    }
}
