package dev.minitron.worker.it;

import dev.minitron.worker.testing.WorkerProcess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.minitron.engine.tiny.TinyCheckpoint;
import dev.minitron.engine.tiny.TinyPreset;
import dev.minitron.worker.dev.SecureBroker;
import dev.minitron.worker.testing.TestCertificates;
import dev.minitron.worker.testing.TestCertificates.Identity;
import dev.minitron.worker.testing.TopicSet;
import dev.minitron.worker.testing.WorkerAcls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real worker on a locked-down KRaft broker (docs/security.md): SCRAM-SHA-512 over TLS or a client
 * certificate, ACLs enforced, nothing allowed that no ACL allows. The worker's principal gets exactly
 * {@link WorkerAcls} and answers; a principal without ACLs cannot read the answers; a wrong password or
 * a missing client certificate does not get in; no credential reaches the worker's log.
 */
class SecureKafkaIT {

    private static final Duration READY = Duration.ofSeconds(120);
    private static final Duration ANSWER = Duration.ofSeconds(60);
    private static final String WORKER_PASSWORD = "worker-pw-4f9c1e";
    private static final String CLIENT_PASSWORD = "client-pw-88d2a0";
    private static final String STRANGER_PASSWORD = "stranger-pw-c51b7d";
    private static final String TLS_WORKER = "worker-tls";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static TestCertificates certificates;
    private static SecureBroker broker;
    private static Path model;

    @BeforeAll
    static void start() throws Exception {
        certificates = TestCertificates.create(dir, "broker", TLS_WORKER);
        Identity brokerIdentity = certificates.identity("broker");
        broker = SecureBroker.start(new SecureBroker.Options(dir.resolve("kafka"), certificates.caFile(),
                brokerIdentity.writeKeystore(dir.resolve("broker-keystore.pem")), brokerIdentity.distinguishedName(),
                Map.of(SecureBroker.ADMIN, "admin-pw-0b7e33", "worker", WORKER_PASSWORD, "client", CLIENT_PASSWORD,
                        "stranger", STRANGER_PASSWORD)));
        model = dir.resolve("model");
        TinyCheckpoint.write(model, TinyPreset.TINY, 11);
        broker.awaitReady(READY);
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void aWorkerWithScramCredentialsAnswersThroughExactlyItsAcls() throws Exception {
        TopicSet topics = TopicSet.create(broker.adminSettings(), "scram", 2);
        String applicationId = "scram-status";
        String usageTopic = "scram.usage";
        List<AclBinding> acls = new ArrayList<>(WorkerAcls.worker("User:worker", topics));
        acls.addAll(WorkerAcls.statusViews("User:worker", topics, applicationId, usageTopic));
        acls.addAll(WorkerAcls.client("User:client", topics));
        createAcls(acls);

        // As the Helm chart passes them: environment variables, the JAAS line from a Secret.
        Map<String, String> environment = Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", SecureBroker.MECHANISM,
                "KAFKA_SASL_JAAS_CONFIG", SecureBroker.scramJaasConfig("worker", WORKER_PASSWORD),
                "KAFKA_SSL_TRUSTSTORE_TYPE", "PEM",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", certificates.caFile().toString());
        Map<String, String> settings = Fleet.with(topics.workerSettings(), "minitron.status.application-id", applicationId,
                "minitron.status.usage-topic", usageTopic, "minitron.status.persistent-stores", "false");
        String prompt = "A prompt that must stay out of the logs";
        try (WorkerProcess worker = WorkerProcess.start("scram-worker", broker.saslBootstrap(), model,
                Fleet.logDir("SecureKafkaIT"), settings, environment)) {
            worker.awaitReady(READY);
            send(broker.scramSettings("client", CLIENT_PASSWORD), topics.prompts(), "secure-1", prompt);

            JsonNode completion = awaitRecord(broker.scramSettings("client", CLIENT_PASSWORD), topics.completions(),
                    "secure-1", ANSWER);
            assertThat(completion.get("finish_reason").asText()).isEqualTo("length");
            assertThat(completion.get("usage").get("completion_tokens").asInt()).isEqualTo(6);
            assertThat(completion.get("metadata").get("user").asText()).isEqualTo("u-1");
            assertThat(awaitStatus(worker, "secure-1")).as("the status views run under the same principal")
                    .isEqualTo("done");
            assertThat(worker.logText()).doesNotContain(WORKER_PASSWORD).doesNotContain(prompt)
                    .as("no authorization failure, not even a tolerated one").doesNotContainIgnoringCase("authoriz");
        }
    }

    @Test
    void aPrincipalWithoutAclsCannotReadTheCompletions() throws Exception {
        TopicSet topics = TopicSet.create(broker.adminSettings(), "stranger", 1);
        Map<String, Object> stranger = broker.scramSettings("stranger", STRANGER_PASSWORD);

        try (var consumer = consumer(stranger, null)) {
            consumer.assign(List.of(new TopicPartition(topics.completions(), 0)));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        // Allowed to read the topic, but not in a consumer group it has no ACL for.
        createAcls(List.of(new AclBinding(new ResourcePattern(ResourceType.TOPIC, topics.completions(), PatternType.LITERAL),
                new AccessControlEntry("User:stranger", "*", AclOperation.READ, AclPermissionType.ALLOW))));
        try (var consumer = consumer(stranger, "stranger-group")) {
            consumer.subscribe(List.of(topics.completions()));
            assertThatThrownBy(() -> consumer.poll(Duration.ofSeconds(10)))
                    .isInstanceOf(GroupAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordDoesNotAuthenticate() {
        try (Admin admin = Admin.create(broker.scramSettings("worker", "not-" + WORKER_PASSWORD))) {
            assertThatThrownBy(() -> admin.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void aWorkerWithAClientCertificateAnswersAsItsDistinguishedName() throws Exception {
        TopicSet topics = TopicSet.create(broker.adminSettings(), "mtls", 1);
        Identity identity = certificates.identity(TLS_WORKER);
        List<AclBinding> acls = new ArrayList<>(WorkerAcls.worker("User:" + identity.distinguishedName(), topics));
        acls.addAll(WorkerAcls.client("User:client", topics));
        createAcls(acls);

        try (Admin anonymous = Admin.create(broker.tlsSettings(null, null))) {
            assertThatThrownBy(() -> anonymous.describeCluster().nodes().get(30, TimeUnit.SECONDS))
                    .as("the SSL listener requires a client certificate")
                    .cause().isInstanceOf(SslAuthenticationException.class);
        }

        // The Helm chart's mutual TLS: PEM certificate chain and key from a Secret, as environment variables.
        Map<String, String> environment = Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SSL",
                "KAFKA_SSL_TRUSTSTORE_TYPE", "PEM",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", certificates.caFile().toString(),
                "KAFKA_SSL_KEYSTORE_TYPE", "PEM",
                "KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN", identity.certificateChainPem(),
                "KAFKA_SSL_KEYSTORE_KEY", identity.privateKeyPem());
        // Without the status views: the worker's own ACLs are exactly WorkerAcls.worker.
        Map<String, String> settings = Fleet.with(topics.workerSettings(), "minitron.status.enabled", "false");
        try (WorkerProcess worker = WorkerProcess.start("mtls-worker", broker.sslBootstrap(), model,
                Fleet.logDir("SecureKafkaIT"), settings, environment)) {
            worker.awaitReady(READY);
            send(broker.scramSettings("client", CLIENT_PASSWORD), topics.prompts(), "mtls-1", "Hello over TLS");
            JsonNode completion = awaitRecord(broker.scramSettings("client", CLIENT_PASSWORD), topics.completions(),
                    "mtls-1", ANSWER);
            assertThat(completion.get("finish_reason").asText()).isEqualTo("length");
            assertThat(worker.logText()).doesNotContain(identity.privateKeyPem().lines().skip(1).findFirst().orElseThrow())
                    .doesNotContainIgnoringCase("authoriz");
        }
    }

    private static void createAcls(List<AclBinding> acls) throws Exception {
        try (Admin admin = Admin.create(broker.adminSettings())) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static void send(Map<String, Object> settings, String topic, String id, String prompt) throws Exception {
        Map<String, Object> p = new HashMap<>(settings);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        String value = JSON.writeValueAsString(Map.of("id", id, "prompt", prompt, "max_tokens", 6, "temperature", 0,
                "ignore_eos", true, "metadata", Map.of("user", "u-1")));
        try (var producer = new KafkaProducer<String, String>(p)) {
            producer.send(new ProducerRecord<>(topic, id, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Reads {@code topic} from the beginning without a consumer group until a record keyed {@code id} comes. */
    private static JsonNode awaitRecord(Map<String, Object> settings, String topic, String id, Duration timeout)
            throws Exception {
        try (var consumer = consumer(settings, null)) {
            consumer.assign(consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList());
            consumer.seekToBeginning(consumer.assignment());
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (id.equals(r.key())) {
                        return JSON.readTree(r.value());
                    }
                }
            }
        }
        throw new AssertionError("no record keyed " + id + " on " + topic + " within " + timeout);
    }

    private static KafkaConsumer<String, String> consumer(Map<String, Object> settings, String group) {
        Map<String, Object> p = new HashMap<>(settings);
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    /** The request's status from the worker's Kafka Streams views, once they know it. */
    private static String awaitStatus(WorkerProcess worker, String id) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + ANSWER.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + worker.httpPort()
                    + "/requests/" + id)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            last = response.statusCode() + " " + response.body();
            if (response.statusCode() == 200) {
                String status = JSON.readTree(response.body()).get("status").asText();
                if (status.equals("done")) {
                    return status;
                }
            }
            Thread.sleep(500);
        }
        throw new AssertionError("status of " + id + " not done within " + ANSWER + "; last answer: " + last
                + "\n" + worker.logText().lines().filter(l -> l.contains("WARN") || l.contains("ERROR")).toList());
    }
}
