package dev.minitron.worker.status;

import dev.minitron.schemas.kafka.JsonSerde;
import java.util.List;
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
 * prompts ─────┐  one source, raw bytes; the processor reads each by its topic (StatusUpdates, leniently:
 * tokens ──────┤  unreadable values are skipped)
 * completions ─┼─ StatusProcessor [minitron-status-store, keyed by id]
 * errors ──────┘                  │ one TenantUsage per metered id, keyed by tenant
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

        // One source for the four topics and one processor that reads each record by its topic: every
        // node between a source and the processor costs a forward, a latency sensor and a record
        // context per record, and the views read every token event of the fleet (docs/benchmarks/kafka.md).
        List<String> inputs = List.of(settings.promptsTopic(), settings.tokensTopic(), settings.completionsTopic(),
                settings.errorsTopic());
        KStream<String, TenantUsage> metered = builder
                .stream(inputs, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events"))
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
