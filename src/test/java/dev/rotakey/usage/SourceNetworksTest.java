package dev.rotakey.usage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Source networks are /24s and /64s of address literals; anything else is "unknown", and nothing is ever resolved. */
class SourceNetworksTest {
    @ParameterizedTest
    @CsvSource({
            "10.1.2.3, 10.1.2.0/24",
            "0.0.0.0, 0.0.0.0/24",
            "255.255.255.255, 255.255.255.0/24",
            "192.168.200.17, 192.168.200.0/24",
            "2001:db8:1:2:3:4:5:6, 2001:db8:1:2::/64",
            "2001:DB8::1, 2001:db8::/64",
            "::1, ::/64",
            "[2001:db8:aa:bb::9], 2001:db8:aa:bb::/64",
            "fe80::1%eth0, fe80::/64",
            "::ffff:10.9.8.7, 10.9.8.0/24",
    })
    void networks(String address, String network) {
        assertThat(SourceNetworks.network(address)).isEqualTo(network);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "localhost", "example.org", "10.1.2", "10.1.2.3.4", "256.1.1.1", "1.2.3.-4", "01.2.3.4",
            "1..2.3", "10.1.2.3 ", "::g", "1:2:3:4:5:6:7:8:9", "[::1", "%", "1.2.3.4/24", "１.２.３.４"})
    void garbageIsUnknown(String address) {
        assertThat(SourceNetworks.network(address)).isEqualTo(SourceNetworks.UNKNOWN);
        assertThat(SourceNetworks.literal(address)).isEqualTo(SourceNetworks.UNKNOWN);
    }

    @Test
    void nullAndOverlongAreUnknown() {
        assertThat(SourceNetworks.network(null)).isEqualTo(SourceNetworks.UNKNOWN);
        assertThat(SourceNetworks.network("1".repeat(1000))).isEqualTo(SourceNetworks.UNKNOWN);
    }

    @Test
    void aNameIsNeverResolved() {
        // Resolving would take a DNS round trip and answer 127.0.0.1: a literal parser answers at once, unknown.
        long started = System.nanoTime();
        assertThat(SourceNetworks.network("rotakey-telemetry-test.invalid")).isEqualTo(SourceNetworks.UNKNOWN);
        assertThat(SourceNetworks.network("localhost")).isEqualTo(SourceNetworks.UNKNOWN);
        assertThat(System.nanoTime() - started).isLessThan(50_000_000L);
    }

    @Test
    void theLiteralKeepsTheAddressWithoutItsZone() {
        assertThat(SourceNetworks.literal("10.1.2.3")).isEqualTo("10.1.2.3");
        assertThat(SourceNetworks.literal("fe80::1%eth0")).isEqualTo("fe80::1");
    }
}
