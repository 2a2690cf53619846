package dev.rotakey.targets.redis;

import dev.rotakey.targets.TargetException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How the failures of several servers are reported together. */
class RedisConnectorTest {
    @Test
    void failuresOfSeveralServersAreRetryableOnlyWhenEachWas() {
        TargetException down = new TargetException("target 'r': cannot deliver: Redis at a:1 is unreachable", true);
        TargetException refused = new TargetException("target 'r': cannot deliver on Redis at b:2 (NOPERM)", false);
        assertThat(RedisConnector.combined("r", List.of(down))).isSameAs(down);
        TargetException both = RedisConnector.combined("r", List.of(down, refused));
        assertThat(both.retryable()).isFalse();
        assertThat(both.getMessage()).isEqualTo("target 'r': 2 servers failed: cannot deliver: Redis at a:1 is "
                + "unreachable; cannot deliver on Redis at b:2 (NOPERM)");
        assertThat(RedisConnector.combined("r", List.of(down, down)).retryable()).isTrue();
    }
}
