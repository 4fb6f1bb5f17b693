package dev.minitron.worker.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link LoopbackProxy} in front of a small echo server: pass-through, stall, cut, partition, a target that is down, close. */
class LoopbackProxyTest {

    private EchoServer echo;
    private LoopbackProxy proxy;
    private final List<Socket> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = LoopbackProxy.start("test", "localhost", echo.port());
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : clients) s.close();
        proxy.close();
        echo.close();
    }

    @Test
    void bytesPassThroughBothWays() throws IOException {
        Socket s = connect();
        assertThat(roundTrip(s, "hello")).isEqualTo("hello");
        assertThat(roundTrip(s, "again")).isEqualTo("again");

        assertThat(proxy.connectionsAccepted()).isEqualTo(1);
        assertThat(proxy.bytesForwarded()).isEqualTo(20); // 10 bytes each way
        assertThat(echo.received.get()).isEqualTo(10);
    }

    @Test
    void aMegabyteCrossesInBothDirections() throws Exception {
        Socket s = connect();
        byte[] payload = new byte[1 << 20];
        new Random(7).nextBytes(payload);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                s.getOutputStream().write(payload);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        s.setSoTimeout(2_000);
        assertThat(s.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
        writer.join();
        assertThat(proxy.bytesForwarded()).isEqualTo(2L * payload.length);
    }

    @Test
    void aStallHoldsBytesInBothDirectionsUntilResume() throws IOException {
        Socket open = connect();
        assertThat(roundTrip(open, "before")).isEqualTo("before");
        long forwarded = proxy.bytesForwarded();

        proxy.stall();
        assertThat(proxy.stalled()).isTrue();
        send(open, "during");
        Socket fresh = connect(); // accepted, but stalled too
        send(fresh, "new");
        assertTimesOut(open);
        assertTimesOut(fresh);
        assertThat(proxy.bytesForwarded()).isEqualTo(forwarded);
        assertThat(echo.received.get()).isEqualTo(6);

        proxy.resume();
        assertThat(read(open, 6)).isEqualTo("during");
        assertThat(read(fresh, 3)).isEqualTo("new");
        assertThat(proxy.stalled()).isFalse();
    }

    @Test
    void aCutClosesOpenConnectionsAndNewOnesWork() throws IOException {
        Socket a = connect();
        Socket b = connect();
        assertThat(roundTrip(a, "a")).isEqualTo("a");
        assertThat(roundTrip(b, "b")).isEqualTo("b");

        assertThat(proxy.cut()).isEqualTo(2);
        assertClosed(a);
        assertClosed(b);
        assertThat(proxy.openConnections()).isZero();

        assertThat(roundTrip(connect(), "c")).isEqualTo("c");
    }

    @Test
    void aCutAlsoEndsStalledConnections() throws IOException {
        Socket s = connect();
        assertThat(roundTrip(s, "x")).isEqualTo("x");
        proxy.stall();
        send(s, "held");

        assertThat(proxy.cut()).isEqualTo(1);
        assertClosed(s);
        proxy.resume();
        assertThat(roundTrip(connect(), "y")).isEqualTo("y");
    }

    @Test
    void aPartitionCutsOpenConnectionsAndRefusesNewOnes() throws IOException {
        Socket open = connect();
        assertThat(roundTrip(open, "up")).isEqualTo("up");

        proxy.partition(true);
        assertClosed(open);
        assertClosed(connect());
        assertClosed(connect());
        assertThat(echo.accepted.get()).isEqualTo(1);

        proxy.partition(false);
        assertThat(roundTrip(connect(), "back")).isEqualTo("back");
        assertThat(proxy.connectionsAccepted()).isEqualTo(4);
    }

    @Test
    void aClientIsClosedPromptlyWhenTheTargetIsDown() throws IOException {
        int downPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            downPort = free.getLocalPort();
        }
        try (LoopbackProxy toNothing = LoopbackProxy.start("down", "localhost", downPort)) {
            Socket s = track(new Socket(InetAddress.getLoopbackAddress(), toNothing.port()));
            long start = System.nanoTime();
            assertClosed(s);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_000);
            assertThat(toNothing.openConnections()).isZero();
        }
    }

    @Test
    void closeStopsListeningEndsEveryConnectionAndLeavesNoThreads() throws IOException {
        Socket moving = connect();
        assertThat(roundTrip(moving, "m")).isEqualTo("m");
        Socket idle = connect();
        assertThat(roundTrip(idle, "i")).isEqualTo("i");
        proxy.stall();
        Socket stalled = connect();
        send(stalled, "s");
        assertThat(proxy.liveThreads()).isGreaterThanOrEqualTo(1 + 2 * 2);

        proxy.close();
        assertThat(proxy.liveThreads()).isZero();
        assertThat(proxy.openConnections()).isZero();
        assertClosed(moving);
        assertClosed(idle);
        assertClosed(stalled);
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), proxy.port()).close())
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void connectionsClosedByEitherSideEndTheirPumps() throws Exception {
        Socket s = connect();
        assertThat(roundTrip(s, "bye")).isEqualTo("bye");
        assertThat(proxy.openConnections()).isEqualTo(1);
        s.close();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while ((proxy.openConnections() > 0 || proxy.liveThreads() > 1) && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(proxy.openConnections()).isZero();
        assertThat(proxy.liveThreads()).isEqualTo(1); // the acceptor

        Socket t = connect();
        assertThat(roundTrip(t, "x")).isEqualTo("x");
        echo.closeConnections();
        assertClosed(t);
    }

    private Socket connect() throws IOException {
        return track(new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
    }

    private Socket track(Socket s) {
        clients.add(s);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        send(s, text);
        return read(s, text.length());
    }

    private static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String read(Socket s, int length) throws IOException {
        s.setSoTimeout(2_000);
        byte[] bytes = s.getInputStream().readNBytes(length);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static void assertTimesOut(Socket s) throws IOException {
        s.setSoTimeout(200);
        assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
    }

    /** The peer closed or reset the connection: a read ends (-1) or fails, well before the timeout. */
    private static void assertClosed(Socket s) throws IOException {
        s.setSoTimeout(2_000);
        try {
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("still open", e);
        } catch (SocketException e) {
            assertThat(e.getMessage()).containsIgnoringCase("reset");
        }
    }

    /** Echoes every byte back, one virtual thread a connection. */
    private static final class EchoServer implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Set<Socket> open = ConcurrentHashMap.newKeySet();
        final AtomicLong accepted = new AtomicLong();
        final AtomicLong received = new AtomicLong();

        EchoServer() throws IOException {
            Thread.ofVirtual().name("echo-accept").start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        accepted.incrementAndGet();
                        open.add(s);
                        Thread.ofVirtual().name("echo").start(() -> echo(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() { return server.getLocalPort(); }

        private void echo(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    received.addAndGet(n);
                    out.write(buffer, 0, n);
                }
            } catch (IOException ignored) {
                // closed
            } finally {
                open.remove(s);
            }
        }

        void closeConnections() throws IOException {
            for (Socket s : open) s.close();
        }

        @Override
        public void close() throws IOException {
            server.close();
            closeConnections();
        }
    }
}
