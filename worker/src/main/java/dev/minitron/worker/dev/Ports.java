package dev.minitron.worker.dev;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Local TCP port checks for the dev broker's listeners. */
final class Ports {

    private Ports() {}

    /** A port that was free a moment ago (another process may still take it before the broker does). */
    static int pickFree(String host) {
        try (var socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }

    /** Fails with a message a user can act on when {@code port} cannot be bound on {@code host}. */
    static void requireFree(String host, int port, String role, String option) {
        try (var socket = new ServerSocket()) {
            socket.setReuseAddress(true); // as Kafka does, so a port in TIME_WAIT counts as free
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
        } catch (IOException e) {
            throw new DevBrokerException("Port " + port + " (Kafka " + role + ") on " + host
                    + " is already in use: is another Kafka broker, or an earlier ./minitron broker/demo,"
                    + " still running? Stop it, or choose another port with " + option + ".");
        }
    }

    static boolean accepts(String host, int port) {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 250);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
