package dev.minitron.worker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.minitron.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AclBinding;
import org.junit.jupiter.api.Test;

/** docs/security.md lists, as kafka-acls.sh commands, exactly the ACLs SecureKafkaIT proves sufficient. */
class WorkerAclsTest {

    private static final Path DOC = Path.of("..", "docs", "security.md");
    private static final TopicSet DEFAULTS = new TopicSet(Topics.PROMPTS, Topics.TOKENS, Topics.COMPLETIONS,
            Topics.ERRORS, Topics.CANCELS, "minitron-workers");

    @Test
    void theSecurityDocListsEveryAclOfAWorkerAndItsStatusViews() throws Exception {
        List<AclBinding> acls = new ArrayList<>(WorkerAcls.worker("User:minitron-worker", DEFAULTS));
        acls.addAll(WorkerAcls.statusViews("User:minitron-worker", DEFAULTS, "minitron-status", "minitron.usage"));
        List<String> documented = Files.readAllLines(DOC).stream().filter(l -> l.startsWith("kafka-acls.sh ")).toList();

        assertThat(documented).containsExactlyInAnyOrderElementsOf(acls.stream().map(WorkerAcls::asCommand).toList());
    }
}
