package dev.minitron.worker.it;

import dev.minitron.worker.testing.ReferenceTexts.Greedy;
import dev.minitron.worker.testing.TopicSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;

/** What the process-level tests share: worker settings for a topic set, a client producer, prompt JSON. */
final class Fleet {

    private Fleet() {
    }

    /**
     * Workers on these topics, with the broker's shortest session timeout (6 s) so that a SIGKILLed
     * member is noticed in seconds, not the default 45 s.
     */
    static Map<String, String> settings(TopicSet topics) {
        Map<String, String> s = new HashMap<>(topics.workerSettings());
        s.put("kafka.session.timeout.ms", "6000");
        s.put("kafka.heartbeat.interval.ms", "1000");
        return s;
    }

    static Map<String, String> with(Map<String, String> base, String... keyValues) {
        Map<String, String> s = new HashMap<>(base);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            s.put(keyValues[i], keyValues[i + 1]);
        }
        return s;
    }

    /** Where a test's worker logs go: kept under target/ after the run, for the failure that needs them. */
    static java.nio.file.Path logDir(String test) throws java.io.IOException {
        return java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "it-logs", test));
    }

    static String greedyPrompt(String id, Greedy g) {
        return "{\"id\":\"%s\",\"prompt\":\"%s\",\"max_tokens\":%d,\"temperature\":0,\"ignore_eos\":true}"
                .formatted(id, g.prompt(), g.maxTokens());
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return new KafkaProducer<>(p);
    }
}
