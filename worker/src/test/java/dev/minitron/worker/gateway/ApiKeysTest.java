package dev.minitron.worker.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {

    @Test
    void aKeyNamesItsTenantAndNothingElseMatches() {
        ApiKeys keys = ApiKeys.load(Optional.of("acme=sk-a1, globex=sk-g1,acme=sk-a2"), Optional.empty());
        assertThat(keys.tenantOf("sk-a1")).contains("acme");
        assertThat(keys.tenantOf("sk-a2")).contains("acme");
        assertThat(keys.tenantOf("sk-g1")).contains("globex");
        assertThat(keys.tenantOf("sk-a")).isEmpty();
        assertThat(keys.tenantOf("sk-a1 ")).isEmpty();
        assertThat(keys.tenantOf("")).isEmpty();
    }

    @Test
    void aMountedSecretIsOneFilePerTenant(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("acme"), "sk-1\nsk-2\n\n");
        Files.writeString(dir.resolve("globex"), "sk-3");
        Files.createDirectory(dir.resolve("..2026_12_07"));   // what a Secret volume also holds
        Files.writeString(dir.resolve(".hidden"), "sk-4");
        ApiKeys keys = ApiKeys.load(Optional.empty(), Optional.of(dir));
        assertThat(keys.size()).isEqualTo(3);
        assertThat(keys.tenantOf("sk-2")).contains("acme");
        assertThat(keys.tenantOf("sk-3")).contains("globex");
        assertThat(keys.tenantOf("sk-4")).isEmpty();
    }

    @Test
    void malformedEntriesStopTheStartWithoutEchoingTheKey() {
        assertThatThrownBy(() -> ApiKeys.load(Optional.of("sk-secret-without-tenant"), Optional.empty()))
                .hasMessageContaining("tenant=key").hasMessageNotContaining("sk-secret");
        assertThatThrownBy(() -> ApiKeys.load(Optional.of("a c m e=sk-1"), Optional.empty()))
                .hasMessageContaining("tenant names").hasMessageNotContaining("sk-1");
    }
}
