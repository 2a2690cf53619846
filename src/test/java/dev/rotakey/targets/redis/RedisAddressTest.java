package dev.rotakey.targets.redis;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How {@code nodes:} entries ({@code host:port}) are read and written. */
class RedisAddressTest {
    @Test
    void readsHostPortBareHostsAndBracketedIpv6() {
        assertThat(RedisAddress.parse("redis-1.internal:6380", 6379)).isEqualTo(new RedisAddress("redis-1.internal", 6380));
        assertThat(RedisAddress.parse(" 10.0.0.7 ", 6379)).isEqualTo(new RedisAddress("10.0.0.7", 6379));
        assertThat(RedisAddress.parse("[::1]:7000", 6379)).isEqualTo(new RedisAddress("::1", 7000));
        assertThat(RedisAddress.parse("[fe80::1]", 26379)).isEqualTo(new RedisAddress("fe80::1", 26379));
        assertThat(new RedisAddress("::1", 7000)).hasToString("[::1]:7000");
        assertThat(new RedisAddress("redis", 6379)).hasToString("redis:6379");
    }

    @Test
    void refusesWhatIsNotAnAddress() {
        for (String bad : List.of("", " ", ":6379", "redis:", "redis:port", "redis:70000", "::1:6379", "[::1", "[::1]x",
                "redis://host:6379", "user@host:6379", "two words:1")) {
            assertThatThrownBy(() -> RedisAddress.parse(bad, 6379)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
