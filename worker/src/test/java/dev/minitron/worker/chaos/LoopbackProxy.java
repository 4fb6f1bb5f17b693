package dev.minitron.worker.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP proxy on 127.0.0.1 in front of one target (a Kafka broker's listener), for chaos tests:
 * the clients of one process connect here, and the faults below act on all their connections.
 * <ul>
 * <li>{@link #stall()}: a congested or blackholed link where TCP stays up. No byte moves either way,
 * nothing is read, so the senders' socket buffers fill; clients see no error, only silence, and hit
 * {@code request.timeout.ms}, {@code session.timeout.ms} or {@code max.poll.interval.ms}.
 * {@link #resume()} delivers what was held back.</li>
 * <li>{@link #cut()}: a reset connection (a broker restart, a NAT or load balancer dropping state):
 * both sides get an RST at once and the clients reconnect, which works right away.</li>
 * <li>{@link #partition(boolean) partition(true)}: the broker unreachable: open connections are cut
 * and new ones are closed (RST) as soon as accepted, until {@code partition(false)}.</li>
 * </ul>
 * One virtual thread accepts; each connection has one that connects to the target (lazily, when a
 * client arrives; if the target is down the client's socket is closed) and two pumps, one a direction.
 */
public final class LoopbackProxy implements AutoCloseable {

    private static final int BUFFER = 64 * 1024;
    private static final int CONNECT_TIMEOUT_MS = 2_000;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition moving = lock.newCondition();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong forwarded = new AtomicLong();
    private volatile boolean stalled;
    private volatile boolean partitioned;
    private volatile boolean closed;

    private LoopbackProxy(String name, String targetHost, int targetPort) throws IOException {
        this.name = name;
        this.target = InetSocketAddress.createUnresolved(targetHost, targetPort);
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    }

    /** Listens on 127.0.0.1 at a free port now; connects each accepted client to the target lazily (target may be down: then the client's socket is closed). */
    public static LoopbackProxy start(String name, String targetHost, int targetPort) throws IOException {
        LoopbackProxy proxy = new LoopbackProxy(name, targetHost, targetPort);
        proxy.spawn("accept", proxy::acceptLoop);
        return proxy;
    }

    public int port() { return server.getLocalPort(); }

    /** Stops moving bytes in both directions: connections stay open, nothing is read, TCP backpressure builds; new connections are accepted but stalled too. */
    public void stall() { stalled = true; }

    /** Moves bytes again, including what a pump had read when the stall began. */
    public void resume() { signal(() -> stalled = false); }

    public boolean stalled() { return stalled; }

    /** Closes every open connection abruptly (RST to both sides); returns how many client connections were cut. New connections work right away. */
    public int cut() {
        int cut = 0;
        for (Connection c : connections) if (c.abort()) cut++;
        return cut;
    }

    /** While on, new connections are accepted and reset at once and open ones are cut: the target unreachable. */
    public void partition(boolean on) {
        partitioned = on;
        if (on) cut();
    }

    public boolean partitioned() { return partitioned; }

    /** Client connections accepted since start, those a partition reset at once included. */
    public long connectionsAccepted() { return accepted.get(); }

    /** Bytes written on to either side, both directions together. */
    public long bytesForwarded() { return forwarded.get(); }

    /** Client connections open now (connecting to the target or pumping). */
    int openConnections() { return connections.size(); }

    /** Threads of this proxy still alive (acceptor, connectors, pumps). */
    int liveThreads() { return (int) threads.stream().filter(Thread::isAlive).count(); }

    /** Stops listening, cuts every connection and waits (up to 5 s) for all of this proxy's threads to end. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        cut();
        signal(() -> { });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!threads.isEmpty() && System.nanoTime() < deadline) {
            for (Thread t : threads) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public String toString() { return "LoopbackProxy[" + name + " :" + port() + " -> " + target + "]"; }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            accepted.incrementAndGet();
            if (partitioned || closed) {
                reset(client);
                continue;
            }
            Connection c = new Connection(client);
            connections.add(c);
            if (closed) c.abort(); // raced with close(): its cut() may have missed c
            spawn("connect", () -> connect(c));
        }
    }

    private void connect(Connection c) {
        if (!awaitMoving(c)) return;
        Socket upstream = new Socket();
        try {
            upstream.setTcpNoDelay(true);
            upstream.connect(new InetSocketAddress(target.getHostString(), target.getPort()), CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            closeQuietly(upstream);
            c.close(); // target down: the client sees its connection closed
            return;
        }
        if (!c.attach(upstream)) return;
        spawn("c2t", () -> pump(c, c.client, upstream));
        spawn("t2c", () -> pump(c, upstream, c.client));
    }

    private void pump(Connection c, Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER];
        try (c) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (awaitMoving(c)) {
                int n = in.read(buffer);
                if (n < 0 || !awaitMoving(c)) return; // stalled after the read began: hold the bytes
                forwarded.addAndGet(n);   // before the write: whoever reads the bytes sees them counted
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // either side closed or reset: c's close ends the other pump too
        }
    }

    /** Waits while stalled; false when the connection or the proxy closed meanwhile. */
    private boolean awaitMoving(Connection c) {
        lock.lock();
        try {
            while (stalled && !c.closed && !closed) moving.awaitUninterruptibly();
            return !c.closed && !closed;
        } finally {
            lock.unlock();
        }
    }

    private void signal(Runnable change) {
        lock.lock();
        try {
            change.run();
            moving.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void spawn(String role, Runnable body) {
        Thread t = Thread.ofVirtual().name("proxy-" + name + "-" + role).unstarted(() -> {
            try {
                body.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        });
        threads.add(t);
        t.start();
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing to do
        }
    }

    /** One client connection and, once connected, its target connection. */
    private final class Connection implements AutoCloseable {
        final Socket client;
        private Socket upstream;
        volatile boolean closed;

        Connection(Socket client) {
            this.client = client;
            try {
                client.setTcpNoDelay(true);
            } catch (IOException ignored) {
                // closed already: the pumps will find out
            }
        }

        /** False (and upstream closed) if the connection was closed while connecting. */
        synchronized boolean attach(Socket upstream) {
            if (closed) {
                closeQuietly(upstream);
                return false;
            }
            this.upstream = upstream;
            return true;
        }

        /** An orderly close (FIN) of both sides, as when one side closed. */
        @Override
        public void close() { end(false); }

        /** An RST to both sides; true if this call closed it. */
        boolean abort() { return end(true); }

        private synchronized boolean end(boolean rst) {
            if (closed) return false;
            closed = true;
            connections.remove(this);
            for (Socket s : new Socket[] {client, upstream}) {
                if (s == null) continue;
                if (rst) reset(s); else closeQuietly(s);
            }
            signal(() -> { }); // wakes this connection's pumps if they wait out a stall
            return true;
        }
    }
}
