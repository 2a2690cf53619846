package dev.rotakey.ca;

import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.db.IssuedCertificateDao.IssuedRecord;
import dev.rotakey.testing.TestDatabases.Engine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;

import static dev.rotakey.ca.CaBench.leafKey;
import static dev.rotakey.ca.CaBench.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A serial already in the ledger is never issued twice: the issuer draws another, and gives up after three. */
class LeafIssuerIT {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @TempDir
    Path dir;
    private CaBench bench;

    @AfterEach
    void close() throws Exception {
        if (bench != null) {
            bench.close();
        }
    }

    /** Random bytes from a script: each fill takes the next entry, the last one repeated for ever. */
    private static final class ScriptedRandom extends SecureRandom {
        private final Deque<Byte> fills = new ArrayDeque<>();

        ScriptedRandom(int... fills) {
            for (int f : fills) {
                this.fills.add((byte) f);
            }
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            Arrays.fill(bytes, fills.size() > 1 ? fills.poll() : fills.peek());
        }
    }

    private LeafIssuer issuer(SecureRandom random) {
        CaHierarchy hierarchy = new CaHierarchy(bench.configs);
        CaKeyRing keyRing = new CaKeyRing(new KeyBackends(Map.of("hsm", bench.backend)));
        CaGenerations generations = new CaGenerations(hierarchy, keyRing, new KeyBackends(Map.of("hsm", bench.backend)),
                bench.db.store(), bench.audit(), bench.clock, new SecureRandom());
        CrlPublisher crls = new CrlPublisher(hierarchy, generations, keyRing, new CrlFiles(hierarchy), bench.db.store(),
                bench.clock);
        return new LeafIssuer(hierarchy, generations, keyRing, crls, bench.db.store(), bench.audit(), bench.clock, random);
    }

    private IssuedCertificate issue(LeafIssuer issuer, String credential) throws Exception {
        return issuer.issue("agents-ca", request("agent", credential, 1, leafKey(KeySpec.EC_P256), Duration.ofDays(1),
                List.of(), List.of()));
    }

    @Test
    void aSerialAlreadyIssuedIsDrawnAgainAndThreeInARowAreAnError() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA");
        bench.authorities();

        IssuedCertificate first = issue(issuer(new ScriptedRandom(0x11)), "cred-1");
        IssuedCertificate second = issue(issuer(new ScriptedRandom(0x11, 0x11, 0x22)), "cred-2");
        assertThatThrownBy(() -> issue(issuer(new ScriptedRandom(0x22)), "cred-3"))
                .isInstanceOf(IllegalStateException.class).hasMessage("no unused serial after 3 attempts: is the RNG broken?");

        assertThat(first.serial().toString(16)).isEqualTo("1" + "11".repeat(8));
        assertThat(second.serial().toString(16)).isEqualTo("1" + "22".repeat(8));
        List<IssuedRecord> ledger = bench.db.store().read(d -> d.issuedCertificates()
                .forCredentials(List.of("cred-1", "cred-2", "cred-3")));
        assertThat(ledger).extracting(r -> r.credentialId() + " " + r.serial())
                .containsExactlyInAnyOrder("cred-1 1" + "11".repeat(8), "cred-2 1" + "22".repeat(8));
    }
}
