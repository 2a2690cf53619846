package dev.rotakey.metrics;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.files.LocalFilesTargetContractTest;
import dev.rotakey.targets.TargetException;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The instrumented target around a real {@code local-files} target: it honours the whole target
 * contract (it delegates everything), and times and counts deliver, verify, revoke and discard.
 */
class InstrumentedTargetTest extends LocalFilesTargetContractTest {
    private final PrometheusRegistry registry = new PrometheusRegistry();

    @Override
    protected Target newTarget() {
        return new InstrumentedTarget(super.newTarget(), new InstrumentedTarget.Metrics(registry));
    }

    @Test
    void eachOperationIsTimedByTargetTypeAndOperation() {
        Secret v1 = material();
        Secret v2 = material();
        target.deliver(delivery("c1", 1, v1));
        target.verify(delivery("c1", 1, v1));
        target.deliver(delivery("c1", 2, v2));
        target.discard(revocation("c1", 2, v2));
        target.revoke(revocation("c1", 1, v1));

        Samples s = Samples.of(registry);
        String d = "rotakey_target_operation_duration_seconds_count";
        assertThat(s.value(d, "target", "local-files", "type", "local-files", "operation", "deliver")).isEqualTo(2);
        assertThat(s.value(d, "target", "local-files", "type", "local-files", "operation", "verify")).isEqualTo(1);
        assertThat(s.value(d, "target", "local-files", "type", "local-files", "operation", "discard")).isEqualTo(1);
        assertThat(s.value(d, "target", "local-files", "type", "local-files", "operation", "revoke")).isEqualTo(1);
        // Only the promotion actions' series, at zero from the start (so that the first failure has an increase).
        assertThat(s.matching("rotakey_target_operation_errors_total")).allSatisfy(x -> {
            assertThat(x.labels()).containsEntry("operation", "promoted");
            assertThat(x.value()).isZero();
        });
    }

    @Test
    void failuresAreCountedByWhetherTheWorkflowRetriesThem() throws Exception {
        Secret never = material();
        TargetException missing = catchThrowableOfType(TargetException.class, () -> target.verify(delivery("c2", 1, never)));
        assertThat(missing.retryable()).isTrue();

        // A symbolic link where the file should be: local-files refuses to follow it, and retrying cannot help.
        Path link = dir.resolve("delivered/agents/c3/api-key");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, dir.resolve("elsewhere"));
        TargetException refused = catchThrowableOfType(TargetException.class, () -> target.deliver(delivery("c3", 1, material())));
        assertThat(refused.retryable()).isFalse();

        Samples s = Samples.of(registry);
        assertThat(s.value("rotakey_target_operation_errors_total", "target", "local-files", "operation", "verify",
                "retryable", "true")).isEqualTo(1);
        assertThat(s.value("rotakey_target_operation_errors_total", "target", "local-files", "operation", "deliver",
                "retryable", "false")).isEqualTo(1);
        assertThat(s.value("rotakey_target_operation_duration_seconds_count", "target", "local-files",
                "operation", "deliver")).isEqualTo(1);
        // Error series carry bounded labels only: no path, credential or message.
        assertThat(s.text()).doesNotContain("c2").doesNotContain("c3").doesNotContain("agents/");
    }
}
