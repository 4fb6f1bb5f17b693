package dev.minitron.worker.dev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A development broker for fault tests: besides its own listener (for the test's clients, which are
 * never faulted) it has one extra listener per worker slot, advertised at another port, where a
 * {@code LoopbackProxy} forwards to it. A worker that bootstraps at its proxy is told to come back to
 * the proxy for every connection, so all of its traffic crosses the proxy and only that worker feels
 * the proxy's stalls and cuts. {@link #restart()} stops the broker (SIGTERM, Kafka's clean shutdown)
 * and starts it again on the same ports and data.
 */
public final class ChaosBroker implements AutoCloseable {

    /**
     * @param port       where the broker listens for this slot
     * @param advertised what clients of the slot are told to connect to (its proxy's port)
     */
    public record SlotListener(int port, int advertised) {
    }

    private final KraftConfig config;
    private final Path log;
    private DevBroker broker;

    private ChaosBroker(KraftConfig config, Path log) {
        this.config = config;
        this.log = log;
    }

    /** A free port on the broker's host, for a slot listener chosen before its proxy starts. */
    public static int freePort() {
        return Ports.pickFree(DevBroker.HOST);
    }

    public static ChaosBroker start(Path dataDir, List<SlotListener> slots) {
        String host = DevBroker.HOST;
        int clientPort = Ports.pickFree(host);
        int controllerPort;
        do {
            controllerPort = Ports.pickFree(host);
        } while (controllerPort == clientPort);
        var listeners = new StringBuilder("PLAINTEXT://%s:%d,CONTROLLER://%s:%d".formatted(host, clientPort, host,
                controllerPort));
        var advertised = new StringBuilder("PLAINTEXT://%s:%d".formatted(host, clientPort));
        var protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        for (int i = 0; i < slots.size(); i++) {
            listeners.append(",SLOT%d://%s:%d".formatted(i, host, slots.get(i).port()));
            advertised.append(",SLOT%d://%s:%d".formatted(i, host, slots.get(i).advertised()));
            protocols.append(",SLOT%d:PLAINTEXT".formatted(i));
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("listeners", listeners.toString());
        s.put("advertised.listeners", advertised.toString());
        s.put("listener.security.protocol.map", protocols.toString());
        // Short enough that a stalled or partitioned worker is fenced within a fault's length.
        s.put("group.min.session.timeout.ms", "6000");
        var config = new KraftConfig(dataDir.toAbsolutePath(), host, clientPort, controllerPort, s);
        var chaos = new ChaosBroker(config, dataDir.resolve("broker.log"));
        chaos.launch();
        return chaos;
    }

    private void launch() {
        broker = DevBroker.launch(config, DevBroker.defaultClasspathFile(), log, List.of(), Map.of());
    }

    public ChaosBroker awaitReady(Duration timeout) {
        broker.awaitReady(timeout);
        return this;
    }

    /** The listener for the test's own clients (never behind a proxy). */
    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** Clean stop, then a start on the same ports and log directories; returns when clients can use it. */
    public void restart(Duration downFor, Duration readyTimeout) throws InterruptedException {
        broker.close();
        Thread.sleep(downFor.toMillis());
        launch();
        broker.awaitReady(readyTimeout);
    }

    public Path logFile() {
        return log;
    }

    @Override
    public void close() {
        broker.close();
    }
}
