package dev.rotakey.cluster;

import dev.rotakey.StartupException;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.targets.files.LocalFilesTargetFactory;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A clustered start refuses H2 and node-local files not declared shared, naming the key to fix. */
class ClusterChecksTest {
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/rotakey";
    private static final NodeIdentity CLUSTERED = new NodeIdentity("node1", true);

    private static LocalFilesTargetFactory files(boolean shared) {
        LocalFilesTargetFactory f = new LocalFilesTargetFactory();
        f.setDirectory("/srv/delivered");
        f.setShared(shared);
        return f;
    }

    @Test
    void aClusterNeedsPostgres() {
        assertThatThrownBy(() -> ClusterChecks.check(CLUSTERED, "jdbc:h2:./data/rotakey", Map.of()))
                .isInstanceOf(StartupException.class).hasMessageStartingWith("scheduler.clustered:");
    }

    @Test
    void aClusterRefusesLocalFilesUnlessShared() {
        Map<String, TargetFactory> local = Map.of("local-files", files(false));
        assertThatThrownBy(() -> ClusterChecks.check(CLUSTERED, PG, local))
                .isInstanceOf(StartupException.class).hasMessageStartingWith("targets.local-files:")
                .hasMessageContaining("targets.local-files.shared: true");
        assertThatCode(() -> ClusterChecks.check(CLUSTERED, PG, Map.of("local-files", files(true)))).doesNotThrowAnyException();
    }

    @Test
    void aSingleNodeMayUseAnything() {
        assertThatCode(() -> ClusterChecks.check(new NodeIdentity("n", false), "jdbc:h2:./data/rotakey",
                Map.of("local-files", files(false)))).doesNotThrowAnyException();
    }
}
