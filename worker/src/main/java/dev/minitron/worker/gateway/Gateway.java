package dev.minitron.worker.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.minitron.schemas.CancelEvent;
import dev.minitron.schemas.CompletionEvent;
import dev.minitron.schemas.json.WireJson;
import dev.minitron.worker.tracing.KafkaHeaders;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jboss.logging.Logger;

/**
 * The OpenAI-compatible front door: an HTTP server of its own (port {@code minitron.gateway.port},
 * apart from the worker's status and metrics port) that turns each {@code POST /v1/completions}
 * into one prompt event and answers it from the output topics ({@link AnswerRouter}). Callers
 * authenticate with an API key ({@link ApiKeys}) that names their tenant; the tenant goes onto the
 * prompt and into its id, so no caller reads, joins or cancels another tenant's request.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Gateway.class);
    /** A request's time budget in milliseconds; without it {@code minitron.gateway.default-timeout}. */
    public static final String TIMEOUT_HEADER = "X-Request-Timeout-Ms";
    static final long DEADLINE_GRACE_MILLIS = 5_000;
    private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;
    private static final TextMapGetter<MultiMap> HTTP_HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(MultiMap headers) {
            return headers.names();
        }

        @Override
        public String get(MultiMap headers, String key) {
            return headers == null ? null : headers.get(key);
        }
    };

    private final GatewaySettings settings;
    private final ApiKeys keys;
    private final Vertx vertx;
    private final boolean ownVertx;
    private final Tracer tracer;
    private final GatewayMetrics metrics;
    private final AnswerRouter router;
    private final KafkaProducer<byte[], byte[]> producer;
    private final boolean chatTemplate;
    private HttpServer server;

    /**
     * @param kafka Kafka client settings (bootstrap servers, security), as the worker's {@code kafka.*}
     * @param vertx the Vert.x to run on, or null for one of its own
     */
    public Gateway(GatewaySettings settings, Map<String, Object> kafka, MeterRegistry registry, Tracer tracer,
            Vertx vertx) {
        this.settings = settings;
        this.keys = ApiKeys.load(settings.apiKeys(), settings.apiKeysDir());
        if (keys.isEmpty() && !settings.allowUnauthenticated()) {
            throw new IllegalStateException("the gateway has no API keys: mount them (minitron.gateway.api-keys-dir,"
                    + " or minitron.gateway.api-keys=tenant=key,...); for development only,"
                    + " minitron.gateway.allow-unauthenticated=true admits every caller as tenant "
                    + settings.devTenant());
        }
        this.ownVertx = vertx == null;
        this.vertx = vertx == null ? Vertx.vertx() : vertx;
        this.tracer = tracer;
        this.metrics = new GatewayMetrics(registry, settings.modelName());
        this.router = new AnswerRouter(kafka, settings);
        Map<String, Object> props = new HashMap<>(kafka);
        props.remove("group.id");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "minitron-gateway");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 1);
        // sends run on the event loop: a full buffer or missing metadata must fail fast (503), not stall it
        props.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 500);
        props.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.keySet().removeIf(k -> !ProducerConfig.configNames().contains(k));
        this.producer = new KafkaProducer<>(props);
        this.chatTemplate = settings.modelPath().map(Gateway::hasChatTemplate).orElse(false);
    }

    /** Starts reading answers and serving; returns the bound port. */
    public int start() throws Exception {
        return start(Optional.empty());
    }

    /** @param operations extra routes (a gateway-only process adds its health and metrics here) */
    public int start(Optional<java.util.function.Consumer<Router>> operations) throws Exception {
        router.start();
        for (String topic : List.of(settings.topics().prompts(), settings.topics().cancels())) {
            try {
                producer.partitionsFor(topic);   // metadata now, not on the first request
            } catch (RuntimeException e) {
                LOG.warnf("gateway: no metadata for %s yet (%s); requests get 503 until the broker answers", topic,
                        e.getMessage());
            }
        }
        Router routes = Router.router(vertx);
        operations.ifPresent(o -> o.accept(routes));
        routes.route("/v1/*").handler(this::authenticate);
        routes.get("/v1/models").handler(this::models);
        routes.get("/v1/models/:model").handler(this::model);
        routes.post("/v1/completions").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES)).handler(this::completions);
        routes.get("/v1/completions/:id").handler(this::retrieve);
        routes.post("/v1/completions/:id/cancel").handler(this::cancelRequest);
        routes.post("/v1/chat/completions").handler(this::chat);
        routes.route("/v1/*").handler(ctx -> reply(ctx, "other", new OpenAiError(404, "invalid_request_error",
                "unknown_url", null, "Unknown request URL: " + ctx.request().method() + " " + ctx.request().path())));
        server = vertx.createHttpServer(new HttpServerOptions().setHost(settings.host()).setPort(settings.port()))
                .requestHandler(routes);
        server.listen().toCompletionStage().toCompletableFuture().get();
        if (keys.isEmpty()) {
            LOG.warnf("gateway: NO API KEYS (minitron.gateway.allow-unauthenticated=true, for development only):"
                    + " every caller is tenant %s", settings.devTenant());
        }
        LOG.infof("gateway: OpenAI-compatible API on %s:%d for model %s (%d API keys)", settings.host(),
                server.actualPort(), settings.modelName(), keys.size());
        return server.actualPort();
    }

    /** Whether the gateway can take requests: it reads the output topics from their end. */
    public boolean ready() {
        return router.ready();
    }

    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return router.awaitReady(timeout);
    }

    Vertx vertx() {
        return vertx;
    }

    AnswerRouter router() {
        return router;
    }

    GatewayMetrics metrics() {
        return metrics;
    }

    String modelName() {
        return settings.modelName();
    }

    private void authenticate(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (keys.isEmpty()) {
            ctx.put("tenant", settings.devTenant());
            ctx.next();
            return;
        }
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            reply(ctx, "auth", new OpenAiError(401, "invalid_request_error", "missing_api_key", null,
                    "You didn't provide an API key: send it as Authorization: Bearer <key>"));
            return;
        }
        Optional<String> tenant = keys.tenantOf(header.substring(7).strip());
        if (tenant.isEmpty()) {
            reply(ctx, "auth", new OpenAiError(401, "invalid_request_error", "invalid_api_key", null,
                    "Incorrect API key provided"));
            return;
        }
        ctx.put("tenant", tenant.get());
        ctx.next();
    }

    private void models(RoutingContext ctx) {
        ObjectNode list = JsonNodeFactory.instance.objectNode();
        list.put("object", "list");
        list.putArray("data").add(modelObject());
        metrics.requestDone("models", 200);
        ctx.response().putHeader("Content-Type", "application/json").end(list.toString());
    }

    private void model(RoutingContext ctx) {
        if (!settings.modelName().equals(ctx.pathParam("model"))) {
            reply(ctx, "models", new OpenAiError(404, "invalid_request_error", "model_not_found", "model",
                    "The model `" + ctx.pathParam("model") + "` does not exist"));
            return;
        }
        metrics.requestDone("models", 200);
        ctx.response().putHeader("Content-Type", "application/json").end(modelObject().toString());
    }

    private ObjectNode modelObject() {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.put("id", settings.modelName());
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "minitron-fleet");
        return m;
    }

    private void completions(RoutingContext ctx) {
        Span span = tracer.spanBuilder("POST /v1/completions")
                .setSpanKind(SpanKind.SERVER)
                .setParent(W3CTraceContextPropagator.getInstance().extract(Context.root(), ctx.request().headers(),
                        HTTP_HEADERS))
                .setAttribute("http.request.method", "POST")
                .setAttribute("url.path", "/v1/completions")
                .setAttribute("gen_ai.operation.name", "text_completion")
                .setAttribute("gen_ai.request.model", settings.modelName())
                .startSpan();
        if (!router.ready()) {
            fail(ctx, span, new OpenAiError(503, "server_error", "starting", null,
                    "the gateway is still connecting to Kafka; retry"));
            return;
        }
        if (metrics.openRequests() >= settings.maxOpenRequests()) {
            fail(ctx, span, new OpenAiError(429, "rate_limit_error", "too_many_open_requests", null,
                    "this gateway instance holds " + settings.maxOpenRequests() + " open requests; retry later"));
            return;
        }
        CompletionRequest request;
        try {
            request = CompletionRequest.parse(ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes(),
                    ctx.get("tenant"), settings.modelName(), ctx.request().getHeader("Idempotency-Key"), timeout(ctx));
        } catch (OpenAiError e) {
            fail(ctx, span, e);
            return;
        }
        span.setAttribute("gen_ai.request.id", request.id());
        span.setAttribute("minitron.tenant", request.tenant());
        span.setAttribute("minitron.gateway.stream", request.stream());
        metrics.opened();
        new CompletionExchange(this, request, ctx.response(), vertx.getOrCreateContext(), span).start();
    }

    private Duration timeout(RoutingContext ctx) throws OpenAiError {
        String header = ctx.request().getHeader(TIMEOUT_HEADER);
        if (header == null) {
            return settings.defaultTimeout();
        }
        try {
            long ms = Long.parseLong(header.strip());
            if (ms >= 1) {
                return Duration.ofMillis(ms);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw OpenAiError.invalid(TIMEOUT_HEADER, TIMEOUT_HEADER + ": a positive number of milliseconds");
    }

    /** A retried POST's answer, by the id the caller was given; only the caller's own tenant's ids exist for it. */
    private void retrieve(RoutingContext ctx) {
        String id = ctx.<String>get("tenant") + ":" + ctx.pathParam("id");
        CompletionEvent c = router.recentCompletion(id);
        if (c == null) {
            reply(ctx, "retrieve", new OpenAiError(404, "invalid_request_error", "not_found", "id",
                    "No completion " + ctx.pathParam("id") + " is known (it is another tenant's, unknown, or older"
                            + " than the answer window)"));
            return;
        }
        metrics.requestDone("retrieve", 200);
        ctx.response().putHeader("Content-Type", "application/json")
                .end(CompletionFormat.completion(ctx.pathParam("id"), 0, settings.modelName(), c).toString());
    }

    private void cancelRequest(RoutingContext ctx) {
        String id = ctx.<String>get("tenant") + ":" + ctx.pathParam("id");
        cancel(id, "cancelled by the caller");
        metrics.requestDone("cancel", 202);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("id", ctx.pathParam("id"));
        body.put("object", "text_completion.cancel");
        ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json").end(body.toString());
    }

    private void chat(RoutingContext ctx) {
        reply(ctx, "chat", chatTemplate
                ? new OpenAiError(501, "invalid_request_error", "not_implemented", null,
                        "the model ships a chat template, but this gateway does not render chat templates yet;"
                                + " use /v1/completions")
                : new OpenAiError(400, "invalid_request_error", "no_chat_template", "messages",
                        "model " + settings.modelName() + " is a base model without a chat template"
                                + " (tokenizer_config.json has no chat_template); use /v1/completions with a prompt"));
    }

    private static boolean hasChatTemplate(Path modelDir) {
        Path config = modelDir.resolve("tokenizer_config.json");
        try {
            if (!Files.isRegularFile(config)) {
                return false;
            }
            JsonNode template = WireJson.reader().readTree(Files.readAllBytes(config)).get("chat_template");
            return template != null && !template.isNull();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void fail(RoutingContext ctx, Span span, OpenAiError error) {
        span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, error.code());
        span.setAttribute("http.response.status_code", error.status());
        span.end();
        reply(ctx, "completions", error);
    }

    private void reply(RoutingContext ctx, String endpoint, OpenAiError error) {
        metrics.requestDone(endpoint, error.status());
        ctx.response().setStatusCode(error.status()).putHeader("Content-Type", "application/json")
                .end(error.toJson().toString());
    }

    /** Produces the request's prompt event with the span's trace context; {@code acked} gets the record's timestamp or the failure. */
    void produce(CompletionRequest request, Span span, BiConsumer<Long, Exception> acked) {
        var record = new ProducerRecord<>(settings.topics().prompts(), null,
                request.id().getBytes(StandardCharsets.UTF_8), request.value(),
                KafkaHeaders.of(Context.root().with(span)));
        try {
            producer.send(record, (metadata, error) -> acked.accept(metadata == null ? 0L : metadata.timestamp(), error));
        } catch (RuntimeException e) {
            acked.accept(0L, e);
        }
    }

    void cancel(String id, String reason) {
        try {
            byte[] value = WireJson.writer().writeValueAsBytes(new CancelEvent(id, reason));
            producer.send(new ProducerRecord<>(settings.topics().cancels(), id.getBytes(StandardCharsets.UTF_8), value),
                    (metadata, error) -> {
                        if (error != null) {
                            LOG.warnf("gateway: the cancel of %s was not written: %s", id, error.getMessage());
                        }
                    });
        } catch (IOException | RuntimeException e) {
            LOG.warnf("gateway: the cancel of %s was not written: %s", id, e.getMessage());
        }
    }

    /** An exchange ended: its span, and the open-request count. */
    void closed(CompletionRequest request, Span span, int status) {
        metrics.closed();
        span.setAttribute("http.response.status_code", status);
        span.end();
    }

    @Override
    public void close() throws Exception {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get();
        }
        router.close();
        producer.close(Duration.ofSeconds(5));
        if (ownVertx) {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
