package dev.minitron.worker.bench;

import com.sun.tools.attach.VirtualMachine;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Backpressure check: writes a large backlog of prompts, then samples a running worker's heap
 * after a full GC (through its local JMX agent) while the backlog stays in Kafka. A worker that
 * admits only what its engine can hold keeps a flat heap however large the backlog.
 *
 * <pre>java -cp … dev.minitron.worker.bench.BacklogHeapBenchmark --bootstrap HOST:PORT --worker-pid PID
 *     [--prompts 100000] [--samples 8] [--interval-seconds 15] [--out docs/benchmarks/x.md]</pre>
 */
public final class BacklogHeapBenchmark {

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        String bootstrap = opts.getOrDefault("bootstrap", "localhost:9092");
        String pid = opts.get("worker-pid");
        if (pid == null) {
            throw new IllegalArgumentException("--worker-pid is required");
        }
        int prompts = Integer.parseInt(opts.getOrDefault("prompts", "100000"));
        int samples = Integer.parseInt(opts.getOrDefault("samples", "8"));
        long interval = Long.parseLong(opts.getOrDefault("interval-seconds", "15"));
        String group = opts.getOrDefault("group", "minitron-workers");
        String topic = opts.getOrDefault("topic", "minitron.prompts");

        try (JMXConnector jmx = connect(pid);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(jmx.getMBeanServerConnection(),
                    ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
            List<String> rows = new ArrayList<>();
            rows.add(sample("before the backlog", memory, admin, group, topic));
            long start = System.nanoTime();
            produce(bootstrap, topic, prompts);
            System.out.printf("produced %d prompts in %.1f s%n", prompts, (System.nanoTime() - start) / 1e9);
            for (int i = 1; i <= samples; i++) {
                TimeUnit.SECONDS.sleep(interval);
                rows.add(sample("t+" + i * interval + " s", memory, admin, group, topic));
            }
            String runtime = jmx.getMBeanServerConnection()
                    .getAttribute(new javax.management.ObjectName("java.lang:type=Runtime"), "VmVersion").toString();
            String report = report(prompts, runtime, rows);
            System.out.print(report);
            if (opts.containsKey("out")) {
                Files.writeString(Path.of(opts.get("out")), report, StandardCharsets.UTF_8);
            }
        }
    }

    private static JMXConnector connect(String pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(pid);
        try {
            String address = vm.startLocalManagementAgent();
            return JMXConnectorFactory.connect(new JMXServiceURL(address));
        } finally {
            vm.detach();
        }
    }

    private static void produce(String bootstrap, String topic, int n) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        String run = UUID.randomUUID().toString().substring(0, 8);
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < n; i++) {
                String id = "backlog-" + run + "-" + i;
                producer.send(new ProducerRecord<>(topic, id,
                        "{\"id\":\"" + id + "\",\"prompt\":\"Backlog prompt number " + i + "\",\"max_tokens\":4,\"stream\":false}"));
            }
            producer.flush();
        }
    }

    /** One row: the worker's heap after a full GC, and how many prompts wait in Kafka for the group. */
    private static String sample(String when, MemoryMXBean memory, Admin admin, String group, String topic)
            throws Exception {
        memory.gc();
        long used = memory.getHeapMemoryUsage().getUsed();
        long committed = memory.getHeapMemoryUsage().getCommitted();
        Map<TopicPartition, OffsetSpec> query = new HashMap<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                .forEach(p -> query.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        var ends = admin.listOffsets(query).all().get();
        var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        long backlog = 0;
        for (var e : ends.entrySet()) {
            var c = offsets.get(e.getKey());
            backlog += e.getValue().offset() - (c == null ? 0 : c.offset());
        }
        String row = "| %s | %d | %.1f | %.1f |".formatted(when, backlog, used / 1048576.0, committed / 1048576.0);
        System.out.println(row);
        return row;
    }

    private static String report(int prompts, String vm, List<String> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Worker heap under a prompt backlog\n\n");
        sb.append("`BacklogHeapBenchmark`, ").append(Instant.now()).append(": ").append(prompts)
                .append(" prompts written at once (`max_tokens` 4, not streamed); the worker's heap sampled after a")
                .append(" full GC (`MemoryMXBean.gc()`) while the group works through them. Worker JVM: ").append(vm)
                .append(".\n\n| when | prompts not yet committed | heap used after GC (MiB) | heap committed (MiB) |\n")
                .append("|---|---|---|---|\n");
        rows.forEach(r -> sb.append(r).append('\n'));
        return sb.toString();
    }

    private BacklogHeapBenchmark() {}
}
