package dev.minitron.worker.dev;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Arrays;

/**
 * Runs another class's {@code main} in this JVM and exits as soon as standard input reaches end of
 * file. {@link DevBroker} starts the broker through it with a pipe as stdin, so the broker cannot
 * outlive the JVM that started it, even when that JVM is killed with SIGKILL: the kernel closes
 * the pipe, and {@link System#exit} runs the broker's own shutdown hook.
 *
 * <p>Usage: {@code java -cp ... dev.minitron.worker.dev.TetheredMain kafka.Kafka server.properties}
 */
public final class TetheredMain {

    private TetheredMain() {}

    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: TetheredMain MAIN_CLASS [ARGS...]");
            System.exit(2);
        }
        Thread tether = new Thread(TetheredMain::exitOnEndOfInput, "parent-tether");
        tether.setDaemon(true);
        tether.start();
        try {
            Class.forName(args[0])
                    .getMethod("main", String[].class)
                    .invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void exitOnEndOfInput() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // the parent never writes; anything read is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as end of file: the parent is gone
        }
        System.err.println("TetheredMain: parent process is gone (stdin closed); shutting down");
        System.exit(0);
    }
}
