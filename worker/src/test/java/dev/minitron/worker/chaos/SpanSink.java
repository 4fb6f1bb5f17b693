package dev.minitron.worker.chaos;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * A Zipkin v2 endpoint ({@code POST /api/v2/spans}) that the run's workers export their spans to.
 * Nothing is stored: each batch is counted and handed to a {@link LeakScan} as it arrives, so the
 * scan covers every exported span without holding a run's worth of JSON.
 */
final class SpanSink implements AutoCloseable {

    private final HttpServer server;
    private final LeakScan scan;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong spans = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    private SpanSink(HttpServer server, LeakScan scan) {
        this.server = server;
        this.scan = scan;
    }

    static SpanSink start(LeakScan scan) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        SpanSink sink = new SpanSink(server, scan);
        server.createContext("/api/v2/spans", exchange -> {
            boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
            try (InputStream raw = exchange.getRequestBody();
                 InputStream in = gzip ? new GZIPInputStream(raw) : raw) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                sink.take(body);
            }
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        return sink;
    }

    private void take(String body) {
        batches.incrementAndGet();
        bytes.addAndGet(body.length());
        int at = 0;
        while ((at = body.indexOf("\"traceId\"", at)) >= 0) {
            spans.incrementAndGet();
            at++;
        }
        scan.scan("exported spans", body);
    }

    String endpoint() {
        return "http://localhost:" + server.getAddress().getPort() + "/api/v2/spans";
    }

    long spans() {
        return spans.get();
    }

    long bytes() {
        return bytes.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
