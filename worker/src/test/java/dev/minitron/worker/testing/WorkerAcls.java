package dev.minitron.worker.testing;

import static org.apache.kafka.common.acl.AclOperation.ALL;
import static org.apache.kafka.common.acl.AclOperation.CREATE;
import static org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS;
import static org.apache.kafka.common.acl.AclOperation.READ;
import static org.apache.kafka.common.acl.AclOperation.WRITE;
import static org.apache.kafka.common.resource.PatternType.LITERAL;
import static org.apache.kafka.common.resource.PatternType.PREFIXED;
import static org.apache.kafka.common.resource.ResourceType.GROUP;
import static org.apache.kafka.common.resource.ResourceType.TOPIC;
import static org.apache.kafka.common.resource.ResourceType.TRANSACTIONAL_ID;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least a worker's principal and a client application's principal need, as docs/security.md
 * lists them. Every entry is an ALLOW for one principal from any host; READ and WRITE imply
 * DESCRIBE, which is all the metadata and offset lookups need.
 */
public final class WorkerAcls {

    private WorkerAcls() {
    }

    /**
     * A worker without the status views: reads prompts (in its consumer group) and cancels (no group),
     * writes tokens, completions and errors, and reads the completions topic's configuration (the
     * startup check that it is compacted). Its idempotent producer needs nothing more on brokers since 2.8 (KIP-679);
     * its transactional producer (exactly-once, the default) writes with transactional ids prefixed
     * {@code <group>-} (one per worker).
     */
    public static List<AclBinding> worker(String principal, TopicSet t) {
        List<AclBinding> acls = new ArrayList<>();
        acls.add(allow(principal, TOPIC, t.prompts(), LITERAL, READ));
        acls.add(allow(principal, TOPIC, t.cancels(), LITERAL, READ));
        acls.add(allow(principal, GROUP, t.group(), LITERAL, READ));
        for (String output : List.of(t.tokens(), t.completions(), t.errors())) {
            acls.add(allow(principal, TOPIC, output, LITERAL, WRITE));
        }
        acls.add(allow(principal, TOPIC, t.completions(), LITERAL, DESCRIBE_CONFIGS));
        acls.add(allow(principal, TRANSACTIONAL_ID, t.group() + "-", PREFIXED, WRITE));
        return acls;
    }

    /**
     * What the Kafka Streams status views add ({@code minitron.status.enabled=true}, the default):
     * read the three output topics, write (and create) the usage topic, own the application id's
     * group and its internal topics ({@code <application-id>-…-changelog}, {@code -repartition}).
     */
    public static List<AclBinding> statusViews(String principal, TopicSet t, String applicationId, String usageTopic) {
        List<AclBinding> acls = new ArrayList<>();
        for (String input : List.of(t.tokens(), t.completions(), t.errors())) {
            acls.add(allow(principal, TOPIC, input, LITERAL, READ));
        }
        acls.add(allow(principal, TOPIC, usageTopic, LITERAL, WRITE));
        acls.add(allow(principal, TOPIC, usageTopic, LITERAL, CREATE));
        acls.add(allow(principal, GROUP, applicationId, LITERAL, READ));
        acls.add(allow(principal, TOPIC, applicationId + "-", PREFIXED, ALL));
        return acls;
    }

    /** An application that sends prompts and cancels and reads the answers without a consumer group. */
    public static List<AclBinding> client(String principal, TopicSet t) {
        List<AclBinding> acls = new ArrayList<>();
        acls.add(allow(principal, TOPIC, t.prompts(), LITERAL, WRITE));
        acls.add(allow(principal, TOPIC, t.cancels(), LITERAL, WRITE));
        for (String output : List.of(t.tokens(), t.completions(), t.errors())) {
            acls.add(allow(principal, TOPIC, output, LITERAL, READ));
        }
        return acls;
    }

    /** The same binding as a {@code kafka-acls.sh} command line, as docs/security.md shows them. */
    public static String asCommand(AclBinding acl) {
        ResourcePattern r = acl.pattern();
        String resource = switch (r.resourceType()) {
            case TOPIC -> "--topic ";
            case GROUP -> "--group ";
            case TRANSACTIONAL_ID -> "--transactional-id ";
            default -> throw new IllegalArgumentException("not rendered: " + r.resourceType());
        };
        return "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add"
                + " --allow-principal " + acl.entry().principal()
                + " --operation " + operationName(acl.entry().operation())
                + " " + resource + r.name()
                + (r.patternType() == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
    }

    private static String operationName(AclOperation operation) {
        return switch (operation) {
            case DESCRIBE_CONFIGS -> "DescribeConfigs";
            default -> operation.name().charAt(0) + operation.name().substring(1).toLowerCase();
        };
    }

    private static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern,
            AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
    }
}
