package dev.minitron.worker.status;

import dev.minitron.worker.e2e.WorkerTestResources;
import java.util.HashMap;
import java.util.Map;

/**
 * The end-to-end worker resources (a real broker, a tiny checkpoint) with the status views on,
 * short usage windows so a test sees one close, and quick commits.
 */
public class StatusTestResources extends WorkerTestResources {

    static final long USAGE_WINDOW_MS = 3_000;

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        config.put("minitron.status.enabled", "true");
        config.put("minitron.status.advertised-host", "localhost");
        config.put("minitron.status.commit-interval", "200ms");
        config.put("minitron.status.usage-window", USAGE_WINDOW_MS + "ms");
        config.put("minitron.status.usage-grace", "0s");
        config.put("minitron.status.usage-retention", "1h");
        return config;
    }
}
