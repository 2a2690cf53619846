package dev.rotakey.auth;

import dev.rotakey.e2e.RunningDaemon;
import dev.rotakey.http.RawHttp;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Guessing tokens against the real daemon from one loopback address (127.0.0.2): after the configured failures it is
 * answered 429 with Retry-After, whatever it presents, while another address (127.0.0.1) goes on as before.
 */
class GuessingLockoutEndToEndIT {
    private static final String GUESSER = "127.0.0.2";
    @TempDir
    static Path dir;
    static RunningDaemon daemon;
    static int app;
    static int admin;

    @BeforeAll
    static void start() {
        daemon = new RunningDaemon(dir.resolve("data"), "jdbc:h2:file:" + dir.resolve("db/rotakey"), SoftHsmTokens.APP,
                RunningDaemon.uniqueName("lockout"), ConfigOverride.config("auth.lockout.failures", "5"),
                ConfigOverride.config("auth.lockout.duration", "PT10M"));
        app = daemon.app("/").getPort();
        admin = daemon.admin("/").getPort();
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    private static RawHttp.Reply from(String address, int port, String target, String bearer) {
        return RawHttp.sendFrom(address, port, RawHttp.request("GET", target, bearer, null, null));
    }

    @Test
    void anAddressThatKeepsGuessingGets429sAndOtherAddressesDoNot() {
        for (int i = 0; i < 5; i++) {
            assertThat(from(GUESSER, app, "/api/v1/status", "rkt_guess" + i).status()).as("guess " + i).isEqualTo(401);
        }

        RawHttp.Reply locked = from(GUESSER, app, "/api/v1/status", "rkt_guess5");
        assertThat(locked.status()).isEqualTo(429);
        assertThat(Long.parseLong(locked.header("retry-after"))).isBetween(590L, 600L);
        assertThat(locked.body()).startsWith("{\"code\":429").contains("try again");
        assertThat(from(GUESSER, app, "/api/v1/status", daemon.token()).status())
                .as("not even a valid token is checked from there").isEqualTo(429);
        assertThat(from(GUESSER, admin, "/healthcheck", daemon.token()).status()).as("on either port").isEqualTo(429);
        assertThat(from(GUESSER, app, "/health/ready", null).status()).as("public paths stay open").isEqualTo(200);

        assertThat(from("127.0.0.1", app, "/api/v1/status", daemon.token()).status()).as("another address").isEqualTo(200);
        assertThat(from("127.0.0.1", app, "/api/v1/status", "rkt_wrong").status()).isEqualTo(401);
        assertThat(daemon.get("/api/v1/audit?limit=100").body()).contains("auth.locked-out").contains(GUESSER);
    }
}
