package dev.minitron.worker.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logging for the command-line programs. Kafka clients log their whole configuration and every
 * refused connection; a command line reports problems in its own words instead, so only their
 * errors remain. The worker's classpath carries jboss-logmanager as the SLF4J binding, which wants
 * to be the JDK's LogManager before anything logs.
 */
public final class CliLogging {

    private static final String JBOSS_LOG_MANAGER = "org.jboss.logmanager.LogManager";

    private CliLogging() {}

    /** Call first thing in {@code main}, before any Kafka class is touched. */
    public static void quietKafkaClients() {
        if (System.getProperty("java.util.logging.manager") == null && present(JBOSS_LOG_MANAGER)) {
            System.setProperty("java.util.logging.manager", JBOSS_LOG_MANAGER);
        }
        Logger.getLogger("org.apache.kafka").setLevel(Level.SEVERE);
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, CliLogging.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
