package dev.minitron.worker.status;

import dev.minitron.schemas.kafka.JsonSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The status and usage views as one Kafka Streams topology.
 *
 * <pre>
 * prompts ─┐  (raw bytes, read leniently into StatusUpdates; unreadable values are skipped)
 * tokens  ─┤
 * completions ─┼─ merge ─ StatusProcessor [minitron-status-store, keyed by id]
 * errors  ─┘                  │ one TenantUsage per metered id, keyed by tenant
 *                             └─ repartition by tenant ─ tumbling windows, summed
 *                                   [minitron-usage-store] ─ suppress until closed ─ minitron.usage
 * </pre>
 *
 * The four input topics must be co-partitioned (same partition count, keyed by id), as the wire
 * contract creates them: one task sees all events of an id.
 */
public final class StatusTopology {

    public static final String STATUS_STORE = "minitron-status-store";
    public static final String USAGE_STORE = "minitron-usage-store";
    public static final String USAGE_TOPIC = "minitron.usage";

    static final Serde<RequestStatus> STATUS_SERDE = JsonSerde.of(RequestStatus.class);
    static final Serde<TenantUsage> TENANT_USAGE_SERDE = JsonSerde.of(TenantUsage.class);
    static final Serde<UsageRecord> USAGE_RECORD_SERDE = JsonSerde.of(UsageRecord.class);

    private StatusTopology() {}

    public static Topology build(TopologySettings settings) {
        StreamsBuilder builder = new StreamsBuilder();
        KeyValueBytesStoreSupplier statusStore = settings.persistentStores()
                ? Stores.persistentKeyValueStore(STATUS_STORE)
                : Stores.inMemoryKeyValueStore(STATUS_STORE);
        // Cached: a running request's entry changes with every token event, and the cache folds those
        // changes into one store write and one changelog record per id and commit interval instead of
        // one per event (interactive queries read through the cache, so answers stay current).
        builder.addStateStore(Stores.keyValueStoreBuilder(statusStore, Serdes.String(), STATUS_SERDE)
                .withCachingEnabled());

        Consumed<String, byte[]> raw = Consumed.with(Serdes.String(), Serdes.ByteArray());
        KStream<String, StatusUpdate> prompts = builder.stream(settings.promptsTopic(), raw.withName("prompts"))
                .mapValues(StatusUpdates::prompt, Named.as("read-prompts"));
        KStream<String, StatusUpdate> tokens = builder.stream(settings.tokensTopic(), raw.withName("tokens"))
                .mapValues(v -> StatusUpdates.tokens(settings.tokensTopic(), v), Named.as("read-tokens"));
        KStream<String, StatusUpdate> completions = builder
                .stream(settings.completionsTopic(), raw.withName("completions"))
                .mapValues(v -> StatusUpdates.completion(settings.completionsTopic(), v), Named.as("read-completions"));
        KStream<String, StatusUpdate> errors = builder.stream(settings.errorsTopic(), raw.withName("errors"))
                .mapValues(v -> StatusUpdates.error(settings.errorsTopic(), v), Named.as("read-errors"));

        KStream<String, TenantUsage> metered = prompts
                .merge(tokens, Named.as("merge-tokens"))
                .merge(completions, Named.as("merge-completions"))
                .merge(errors, Named.as("merge-errors"))
                .filter((id, update) -> id != null && update != null, Named.as("readable"))
                .process(() -> new StatusProcessor(settings), Named.as("status"), STATUS_STORE);

        metered.groupByKey(Grouped.with("usage-by-tenant", Serdes.String(), TENANT_USAGE_SERDE))
                .windowedBy(TimeWindows.ofSizeAndGrace(settings.usageWindow(), settings.usageGrace()))
                .aggregate(() -> TenantUsage.ZERO, (tenant, delta, sum) -> sum.plus(delta), Named.as("usage-sum"),
                        Materialized.<String, TenantUsage, WindowStore<Bytes, byte[]>>as(USAGE_STORE)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(TENANT_USAGE_SERDE)
                                .withRetention(settings.usageRetention()))
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName("usage-final"))
                .toStream(Named.as("usage-closed"))
                .map((window, sum) -> KeyValue.pair(window.key(),
                        UsageRecord.of(window.key(), window.window().start(), window.window().end(), sum)),
                        Named.as("usage-record"))
                .to(settings.usageTopic(), Produced.with(Serdes.String(), USAGE_RECORD_SERDE).withName("usage-out"));
        return builder.build();
    }
}
