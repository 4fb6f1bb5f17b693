package dev.minitron.worker.dev;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * A {@link DevBroker} locked down as a production cluster is: no plaintext port, SCRAM-SHA-512
 * over TLS for clients with passwords, mutual TLS for clients with certificates, ACLs enforced by
 * KRaft's {@code StandardAuthorizer} (nothing is allowed that no ACL allows), and the broker itself
 * the only super user besides the admin.
 *
 * <p>Listeners:
 * <ul>
 *   <li>{@code SASL_SSL}: SCRAM-SHA-512; the principal is {@code User:<name>}. Users are created when
 *       the storage is formatted ({@code kafka-storage format --add-scram}), so they exist before the
 *       first client connects.</li>
 *   <li>{@code SSL}: {@code ssl.client.auth=required}; the principal is {@code User:<certificate DN>},
 *       e.g. {@code User:CN=worker-tls}. Also the inter-broker listener.</li>
 *   <li>{@code CONTROLLER}: mutual TLS with the broker's own certificate.</li>
 * </ul>
 */
public final class SecureBroker implements AutoCloseable {

    public static final String MECHANISM = "SCRAM-SHA-512";
    /** The SCRAM user every test uses to create topics and ACLs. */
    public static final String ADMIN = "admin";

    /**
     * @param caFile          the CA (PEM) that signed every certificate; the broker's truststore
     * @param brokerKeystore  the broker's private key and certificate chain (one PEM file)
     * @param brokerDn        the distinguished name of the broker's certificate (a super user)
     * @param users           SCRAM users and their passwords; must include {@link #ADMIN}
     */
    public record Options(Path dataDir, Path caFile, Path brokerKeystore, String brokerDn, Map<String, String> users) {
        public Options {
            Objects.requireNonNull(dataDir, "dataDir");
            users = Map.copyOf(users);
            if (!users.containsKey(ADMIN)) {
                throw new IllegalArgumentException("the users must include " + ADMIN);
            }
            users.forEach((name, password) -> {
                if (!(name + password).matches("[A-Za-z0-9._-]+")) {
                    throw new IllegalArgumentException("SCRAM names and passwords here are [A-Za-z0-9._-]: " + name);
                }
            });
        }
    }

    private final DevBroker broker;
    private final Options options;
    private final int saslPort;
    private final int sslPort;

    private SecureBroker(DevBroker broker, Options options, int saslPort, int sslPort) {
        this.broker = broker;
        this.options = options;
        this.saslPort = saslPort;
        this.sslPort = sslPort;
    }

    public static SecureBroker start(Options options) {
        int saslPort = Ports.pickFree(DevBroker.HOST);
        int sslPort = distinctFreePort(saslPort);
        int controllerPort = distinctFreePort(saslPort, sslPort);
        String host = DevBroker.HOST;
        var s = new LinkedHashMap<String, String>();
        s.put("listeners", "SASL_SSL://%s:%d,SSL://%s:%d,CONTROLLER://%s:%d"
                .formatted(host, saslPort, host, sslPort, host, controllerPort));
        s.put("advertised.listeners", "SASL_SSL://%s:%d,SSL://%s:%d".formatted(host, saslPort, host, sslPort));
        s.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,SSL:SSL,CONTROLLER:SSL");
        s.put("inter.broker.listener.name", "SSL");
        s.put("ssl.keystore.type", "PEM");
        s.put("ssl.keystore.location", options.brokerKeystore().toAbsolutePath().toString());
        s.put("ssl.truststore.type", "PEM");
        s.put("ssl.truststore.location", options.caFile().toAbsolutePath().toString());
        s.put("listener.name.ssl.ssl.client.auth", "required");
        s.put("listener.name.controller.ssl.client.auth", "required");
        s.put("sasl.enabled.mechanisms", MECHANISM);
        s.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", MECHANISM);
        s.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        s.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        s.put("allow.everyone.if.no.acl.found", "false");
        s.put("super.users", "User:" + options.brokerDn() + ";User:" + ADMIN);

        List<String> formatArgs = new ArrayList<>();
        options.users().forEach((name, password) -> {
            formatArgs.add("--add-scram");
            formatArgs.add("%s=[name=%s,password=%s]".formatted(MECHANISM, name, password));
        });
        var config = new KraftConfig(options.dataDir().toAbsolutePath(), host, saslPort, controllerPort, s);
        Path classpathFile = DevBroker.defaultClasspathFile();
        Path log = options.dataDir().resolve("broker.log");
        DevBroker broker = DevBroker.launch(config, classpathFile, log, formatArgs,
                scram(host + ":" + saslPort, options.caFile(), ADMIN, options.users().get(ADMIN)));
        return new SecureBroker(broker, options, saslPort, sslPort);
    }

    public SecureBroker awaitReady(Duration timeout) {
        broker.awaitReady(timeout);
        return this;
    }

    /** The SASL_SSL listener. */
    public String saslBootstrap() {
        return DevBroker.HOST + ":" + saslPort;
    }

    /** The SSL listener (client certificates required). */
    public String sslBootstrap() {
        return DevBroker.HOST + ":" + sslPort;
    }

    /** Client settings for a SCRAM user on the SASL_SSL listener (any password: tests also try wrong ones). */
    public Map<String, Object> scramSettings(String user, String password) {
        return scram(saslBootstrap(), options.caFile(), user, password);
    }

    private static Map<String, Object> scram(String bootstrap, Path caFile, String user, String password) {
        Map<String, Object> p = trust(caFile);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        p.put(SaslConfigs.SASL_MECHANISM, MECHANISM);
        p.put(SaslConfigs.SASL_JAAS_CONFIG, scramJaasConfig(user, password));
        return p;
    }

    /** Client settings for the SSL listener with a client certificate; null ones: no certificate. */
    public Map<String, Object> tlsSettings(String certificateChainPem, String privateKeyPem) {
        Map<String, Object> p = trust(options.caFile());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, sslBootstrap());
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        if (certificateChainPem != null) {
            p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
            p.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, certificateChainPem);
            p.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, privateKeyPem);
        }
        return p;
    }

    public Map<String, Object> adminSettings() {
        return scramSettings(ADMIN, options.users().get(ADMIN));
    }

    public static String scramJaasConfig(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"%s\" password=\"%s\";"
                .formatted(user, password);
    }

    public Path logFile() {
        return broker.logFile();
    }

    @Override
    public void close() {
        broker.close();
    }

    private static Map<String, Object> trust(Path caFile) {
        Map<String, Object> p = new HashMap<>();
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caFile.toAbsolutePath().toString());
        return p;
    }

    private static int distinctFreePort(Integer... taken) {
        var used = List.of(taken);
        int port;
        do {
            port = Ports.pickFree(DevBroker.HOST);
        } while (used.contains(port));
        return port;
    }
}
