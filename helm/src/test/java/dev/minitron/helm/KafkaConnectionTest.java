package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Kafka security as the worker receives it: KAFKA_* variables (the worker turns each into a
 * {@code kafka.*} client property), credentials only ever as references to existing Secrets.
 */
class KafkaConnectionTest {

    static final String SCRAM_OVER_TLS = """
            kafka:
              sasl: {enabled: true, mechanism: SCRAM-SHA-512, existingSecret: kafka-user}
              tls: {enabled: true, existingSecret: kafka-ca}
            """;

    /** Variables that carry a credential: each must come from a Secret. */
    private static final Set<String> CREDENTIALS = Set.of("SASL_USERNAME", "SASL_PASSWORD",
            "KAFKA_SSL_KEYSTORE_KEY", "KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN");

    @Test
    void plaintextByDefaultWithNoSaslSettings() {
        WorkerPod pod = WorkerPod.of(Chart.renderDefaults());
        assertThat(pod.envValue("KAFKA_SECURITY_PROTOCOL")).isEqualTo("PLAINTEXT");
        assertThat(pod.container().getEnv()).extracting(EnvVar::getName)
                .noneMatch(n -> n.startsWith("KAFKA_SASL") || n.startsWith("KAFKA_SSL") || n.startsWith("SASL_"));
    }

    @Test
    void scramOverTlsReadsCredentialsAndCaFromTheirSecrets() {
        WorkerPod pod = WorkerPod.of(Chart.render(SCRAM_OVER_TLS));

        assertThat(pod.envValue("KAFKA_SECURITY_PROTOCOL")).isEqualTo("SASL_SSL");
        assertThat(pod.envValue("KAFKA_SASL_MECHANISM")).isEqualTo("SCRAM-SHA-512");
        assertThat(pod.env("SASL_USERNAME").getValueFrom().getSecretKeyRef().getName()).isEqualTo("kafka-user");
        assertThat(pod.env("SASL_PASSWORD").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        // Kubernetes expands $(VAR) from earlier variables: the JAAS line never holds the password itself
        assertThat(pod.envValue("KAFKA_SASL_JAAS_CONFIG"))
                .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required")
                .contains("username=\"$(SASL_USERNAME)\"", "password=\"$(SASL_PASSWORD)\"").endsWith(";");
        assertThat(indexOf(pod, "SASL_PASSWORD")).isLessThan(indexOf(pod, "KAFKA_SASL_JAAS_CONFIG"));

        assertThat(pod.envValue("KAFKA_SSL_TRUSTSTORE_TYPE")).isEqualTo("PEM");
        String truststore = pod.envValue("KAFKA_SSL_TRUSTSTORE_LOCATION");
        VolumeMount tlsMount = pod.container().getVolumeMounts().stream()
                .filter(m -> m.getName().equals("kafka-tls")).findFirst().orElseThrow();
        Volume tls = pod.spec().getVolumes().stream().filter(v -> v.getName().equals("kafka-tls")).findFirst().orElseThrow();
        assertThat(tls.getSecret().getSecretName()).isEqualTo("kafka-ca");
        assertThat(truststore).isEqualTo(tlsMount.getMountPath() + "/" + tls.getSecret().getItems().getFirst().getPath());
        assertThat(tlsMount.getReadOnly()).isTrue();
    }

    @Test
    void credentialsAreNeverInlined() {
        Manifests manifests = Chart.render("""
                kafka:
                  sasl: {enabled: true, mechanism: PLAIN, existingSecret: kafka-user}
                  tls: {enabled: true, existingSecret: kafka-tls, certKey: tls.crt, keyKey: tls.key}
                topics: {create: true, helmHook: false}
                """);
        assertThat(manifests.yaml()).doesNotContain("kind: Secret");
        for (var container : manifests.all(io.fabric8.kubernetes.api.model.apps.Deployment.class).getFirst()
                .getSpec().getTemplate().getSpec().getContainers()) {
            assertThat(container.getEnv()).filteredOn(e -> CREDENTIALS.contains(e.getName())).hasSize(4)
                    .allSatisfy(e -> {
                        assertThat(e.getValue()).isNull();
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isIn("kafka-user", "kafka-tls");
                    });
        }
        var job = manifests.one(io.fabric8.kubernetes.api.model.batch.v1.Job.class).getSpec().getTemplate().getSpec();
        assertThat(job.getContainers().getFirst().getEnv()).filteredOn(e -> e.getName().startsWith("SASL_"))
                .hasSize(2).allSatisfy(e -> assertThat(e.getValueFrom().getSecretKeyRef()).isNotNull());
    }

    @Test
    void mutualTlsTakesCertificateAndKeyFromTheSecret() {
        WorkerPod pod = WorkerPod.of(Chart.render("""
                kafka:
                  tls: {enabled: true, existingSecret: kafka-tls, certKey: tls.crt, keyKey: tls.key}
                """));
        assertThat(pod.envValue("KAFKA_SECURITY_PROTOCOL")).isEqualTo("SSL");
        assertThat(pod.envValue("KAFKA_SSL_KEYSTORE_TYPE")).isEqualTo("PEM");
        assertThat(pod.env("KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("tls.crt");
        assertThat(pod.env("KAFKA_SSL_KEYSTORE_KEY").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("tls.key");
    }

    @Test
    void plainUsesThePlainLoginModuleOverSaslPlaintext() {
        WorkerPod pod = WorkerPod.of(Chart.render("kafka: {sasl: {enabled: true, mechanism: PLAIN, existingSecret: u}}"));
        assertThat(pod.envValue("KAFKA_SECURITY_PROTOCOL")).isEqualTo("SASL_PLAINTEXT");
        assertThat(pod.envValue("KAFKA_SASL_JAAS_CONFIG")).startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required");
    }

    @Test
    void oauthBearerSetsTheTokenEndpointTheCallbackHandlerAndTheJvmAllowList() {
        WorkerPod pod = WorkerPod.of(Chart.render("""
                kafka:
                  sasl:
                    enabled: true
                    mechanism: OAUTHBEARER
                    existingSecret: kafka-oauth
                    usernameKey: client-id
                    passwordKey: client-secret
                    oauthbearer: {tokenEndpointUrl: "https://idp.example.com/token", scope: kafka}
                """));
        assertThat(pod.envValue("KAFKA_SASL_MECHANISM")).isEqualTo("OAUTHBEARER");
        assertThat(pod.envValue("KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL")).isEqualTo("https://idp.example.com/token");
        assertThat(pod.envValue("KAFKA_SASL_LOGIN_CALLBACK_HANDLER_CLASS"))
                .isEqualTo("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        assertThat(pod.envValue("KAFKA_SASL_JAAS_CONFIG")).contains("OAuthBearerLoginModule required",
                "clientId=\"$(SASL_USERNAME)\"", "clientSecret=\"$(SASL_PASSWORD)\"", "scope=\"kafka\"");
        assertThat(pod.env("SASL_USERNAME").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("client-id");
        assertThat(pod.envValue("JDK_JAVA_OPTIONS"))
                .contains("-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=https://idp.example.com/token");
    }

    @Test
    void aVerbatimJaasLineComesFromTheSecret() {
        WorkerPod pod = WorkerPod.of(Chart.render(
                "kafka: {sasl: {enabled: true, existingSecret: kafka-jaas, jaasConfigKey: sasl.jaas.config}}"));
        assertThat(pod.env("KAFKA_SASL_JAAS_CONFIG").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("sasl.jaas.config");
        assertThat(pod.findEnv("SASL_PASSWORD")).isEmpty();
    }

    @Test
    void extraPropertiesBecomeKafkaVariables() {
        WorkerPod pod = WorkerPod.of(Chart.render(
                "kafka: {extraProperties: {client.dns.lookup: use_all_dns_ips, max.request.size: 2097152}}"));
        assertThat(pod.envValue("KAFKA_CLIENT_DNS_LOOKUP")).isEqualTo("use_all_dns_ips");
        assertThat(pod.envValue("KAFKA_MAX_REQUEST_SIZE")).isEqualTo("2097152");
    }

    @Test
    void switchedOnSecurityWithoutItsSecretIsRefusedWithTheReason() {
        assertThatThrownBy(() -> Chart.render("kafka: {sasl: {enabled: true}}"))
                .hasMessageContaining("kafka.sasl.existingSecret is required when kafka.sasl.enabled");
        assertThatThrownBy(() -> Chart.render("kafka: {tls: {enabled: true}}"))
                .hasMessageContaining("kafka.tls.existingSecret is required");
        assertThatThrownBy(() -> Chart.render("kafka: {tls: {enabled: true, existingSecret: t, certKey: tls.crt}}"))
                .hasMessageContaining("kafka.tls.certKey and kafka.tls.keyKey go together");
        assertThatThrownBy(() -> Chart.render("kafka: {sasl: {enabled: true, existingSecret: s, mechanism: OAUTHBEARER}}"))
                .hasMessageContaining("kafka.sasl.oauthbearer.tokenEndpointUrl is required");
    }

    private static int indexOf(WorkerPod pod, String name) {
        return pod.container().getEnv().stream().map(EnvVar::getName).toList().indexOf(name);
    }
}
