package dev.minitron.worker.status;

import dev.minitron.schemas.json.WireJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.jboss.logging.Logger;

/**
 * Interactive queries over the status and usage stores of every instance. A key (request id,
 * tenant) lives in one partition's store on one instance: {@link KafkaStreams#queryMetadataForKey}
 * names it, and the query is answered here or forwarded once over HTTP to that instance's
 * {@code application.server}. Listings fan out to every instance that hosts the status store
 * and merge their pages. Anything that cannot be answered right now (no metadata yet, a task
 * moving or restoring, an instance not reachable) is a 503, never a wrong 404.
 */
public final class StatusQueries {

    private static final Logger LOG = Logger.getLogger(StatusQueries.class);
    private static final Serializer<String> KEYS = Serdes.String().serializer();
    public static final int MAX_LIMIT = 1000;

    /** The order of ids in the stores: unsigned UTF-8 bytes (RocksDB's and the in-memory store's). */
    static final Comparator<String> ID_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    private final KafkaStreams streams;
    private final HostInfo self;
    private final TopologySettings settings;
    private final HttpClient http;
    private final Duration forwardTimeout;

    public StatusQueries(KafkaStreams streams, HostInfo self, TopologySettings settings, Duration forwardTimeout) {
        this.streams = streams;
        this.self = self;
        this.settings = settings;
        this.forwardTimeout = forwardTimeout;
        this.http = HttpClient.newBuilder().connectTimeout(forwardTimeout).build();
    }

    /** {@code GET /requests/{id}}; {@code forwarded} marks a hop from another instance (never forwarded again). */
    public StatusAnswer request(String id, boolean forwarded) {
        try {
            KeyQueryMetadata owner = owner(StatusTopology.STATUS_STORE, id);
            if (owner == null) {
                return notReady();
            }
            if (!owner.activeHost().equals(self)) {
                return forwarded
                        ? StatusAnswer.unavailable("request " + id + " is moving between instances; retry")
                        : forward(owner.activeHost(), "/requests/" + encode(id) + "?forwarded=true");
            }
            RequestStatus status = statusStore(owner.partition()).get(id);
            return status == null ? StatusAnswer.notFound("no request with id " + id) : StatusAnswer.ok(status);
        } catch (InvalidStateStoreException e) {
            return StatusAnswer.unavailable("the status store is not queryable right now (" + e.getMessage() + "); retry");
        }
    }

    /**
     * {@code GET /requests}: one page of the requests matching the filters. With {@code local}
     * only this instance's stores are read (the fan-out's own hop); else every instance's.
     */
    public StatusAnswer list(String tenant, RequestState state, int limit, String cursor, boolean local) {
        try {
            if (local) {
                return StatusAnswer.ok(localPage(tenant, state, limit, cursor));
            }
            Collection<StreamsMetadata> instances = streams.streamsMetadataForStore(StatusTopology.STATUS_STORE);
            if (instances.isEmpty()) {
                return notReady();
            }
            Map<HostInfo, CompletableFuture<RequestPage>> pages = new LinkedHashMap<>();
            for (StreamsMetadata instance : instances) {
                HostInfo host = instance.hostInfo();
                pages.put(host, host.equals(self)
                        ? CompletableFuture.completedFuture(localPage(tenant, state, limit, cursor))
                        : remotePage(host, tenant, state, limit, cursor));
            }
            List<RequestStatus> merged = new ArrayList<>();
            boolean more = false;
            for (var page : pages.entrySet()) {
                RequestPage p;
                try {
                    p = page.getValue().join();
                } catch (RuntimeException e) {
                    return StatusAnswer.unavailable("instance " + page.getKey() + " did not answer: "
                            + rootMessage(e) + "; retry");
                }
                merged.addAll(p.requests());
                more |= p.nextCursor() != null;
            }
            return StatusAnswer.ok(page(merged, limit, more));
        } catch (InvalidStateStoreException e) {
            return StatusAnswer.unavailable("the status store is not queryable right now (" + e.getMessage() + "); retry");
        }
    }

    /** {@code GET /usage/{tenant}}: the tenant's windows starting in {@code [from, to]}. */
    public StatusAnswer usage(String tenant, long from, long to, boolean forwarded) {
        try {
            KeyQueryMetadata owner = owner(StatusTopology.USAGE_STORE, tenant);
            if (owner == null) {
                return notReady();
            }
            if (!owner.activeHost().equals(self)) {
                return forwarded
                        ? StatusAnswer.unavailable("tenant " + tenant + " is moving between instances; retry")
                        : forward(owner.activeHost(), "/usage/" + encode(tenant) + "?from=" + from + "&to=" + to
                                + "&forwarded=true");
            }
            ReadOnlyWindowStore<String, TenantUsage> store = streams.store(StoreQueryParameters
                    .fromNameAndType(StatusTopology.USAGE_STORE, QueryableStoreTypes.<String, TenantUsage>windowStore())
                    .withPartition(owner.partition()));
            long size = settings.usageWindow().toMillis();
            List<UsageRecord> windows = new ArrayList<>();
            try (WindowStoreIterator<TenantUsage> it = store.fetch(tenant, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to))) {
                while (it.hasNext()) {
                    var w = it.next();
                    windows.add(UsageRecord.of(tenant, w.key, w.key + size, w.value));
                }
            }
            return StatusAnswer.ok(UsageReport.of(tenant, from, to, windows));
        } catch (InvalidStateStoreException e) {
            return StatusAnswer.unavailable("the usage store is not queryable right now (" + e.getMessage() + "); retry");
        }
    }

    /** The active owner of {@code key}'s partition, or null while the metadata is not known. */
    private KeyQueryMetadata owner(String store, String key) {
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            return null;
        }
        KeyQueryMetadata owner = streams.queryMetadataForKey(store, key, KEYS);
        return owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE) ? null : owner;
    }

    private StatusAnswer notReady() {
        return StatusAnswer.unavailable("the status view is " + streams.state().name().toLowerCase()
                + " and cannot answer yet; retry");
    }

    private RequestPage localPage(String tenant, RequestState state, int limit, String cursor) {
        List<RequestStatus> found = new ArrayList<>();
        boolean more = false;
        for (int partition : localPartitions()) {
            ReadOnlyKeyValueStore<String, RequestStatus> store = statusStore(partition);
            int matches = 0;
            try (KeyValueIterator<String, RequestStatus> it = cursor == null ? store.all() : store.range(cursor, null)) {
                while (it.hasNext()) {
                    var entry = it.next();
                    if (entry.key.equals(cursor) || !matches(entry.value, tenant, state)) {
                        continue;
                    }
                    if (matches == limit) {
                        more = true;
                        break;
                    }
                    found.add(entry.value);
                    matches++;
                }
            }
        }
        return page(found, limit, more);
    }

    /** The first {@code limit} of {@code found} in id order, and whether anything follows them. */
    private static RequestPage page(List<RequestStatus> found, int limit, boolean more) {
        List<RequestStatus> sorted = new ArrayList<>(found);
        sorted.sort(Comparator.comparing(RequestStatus::id, ID_ORDER));
        boolean hasNext = more || sorted.size() > limit;
        List<RequestStatus> page = sorted.subList(0, Math.min(limit, sorted.size()));
        return new RequestPage(page, hasNext && !page.isEmpty() ? page.getLast().id() : null);
    }

    private static boolean matches(RequestStatus s, String tenant, RequestState state) {
        return (tenant == null || tenant.equals(s.tenant())) && (state == null || state == s.status());
    }

    /** This instance's active partitions of the status store (= of the co-partitioned input topics). */
    private Set<Integer> localPartitions() {
        return streams.streamsMetadataForStore(StatusTopology.STATUS_STORE).stream()
                .filter(m -> m.hostInfo().equals(self))
                .flatMap(m -> m.topicPartitions().stream())
                .filter(tp -> tp.topic().equals(settings.promptsTopic()))
                .map(tp -> tp.partition())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private ReadOnlyKeyValueStore<String, RequestStatus> statusStore(int partition) {
        return streams.store(StoreQueryParameters
                .fromNameAndType(StatusTopology.STATUS_STORE, QueryableStoreTypes.<String, RequestStatus>keyValueStore())
                .withPartition(partition));
    }

    private CompletableFuture<RequestPage> remotePage(HostInfo host, String tenant, RequestState state, int limit,
            String cursor) {
        StringBuilder path = new StringBuilder("/requests?scope=local&limit=").append(limit);
        if (tenant != null) {
            path.append("&tenant=").append(encode(tenant));
        }
        if (state != null) {
            path.append("&status=").append(state.wireName());
        }
        if (cursor != null) {
            path.append("&cursor=").append(encode(cursor));
        }
        return http.sendAsync(get(host, path.toString()), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode());
            }
            try {
                return WireJson.reader().forType(RequestPage.class).readValue(r.body());
            } catch (IOException e) {
                throw new IllegalStateException("unreadable page: " + e.getMessage(), e);
            }
        });
    }

    private StatusAnswer forward(HostInfo host, String pathAndQuery) {
        try {
            HttpResponse<String> r = http.send(get(host, pathAndQuery), HttpResponse.BodyHandlers.ofString());
            return new StatusAnswer(r.statusCode(), r.body());
        } catch (IOException e) {
            LOG.debugf("status query to %s failed: %s", host, e.getMessage());
            return StatusAnswer.unavailable("the instance that owns this key (" + host + ") did not answer; retry");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StatusAnswer.unavailable("interrupted");
        }
    }

    private HttpRequest get(HostInfo host, String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery))
                .timeout(forwardTimeout).header("Accept", "application/json").GET().build();
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
