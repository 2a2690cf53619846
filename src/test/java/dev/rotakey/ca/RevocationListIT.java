package dev.rotakey.ca;

import dev.rotakey.testing.OpenSsl;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabases.Engine;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CRLReason;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.ca.CaBench.leafKey;
import static dev.rotakey.testing.OpenSsl.openssl;
import static dev.rotakey.ca.CaBench.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CRLs of CA generations on H2 and PostgreSQL: revoked certificates with their reasons as OpenSSL
 * reads them, signatures that verify, CRL numbers that only go up (across instances too), re-signing
 * at half-life, and the optional CRL file.
 */
class RevocationListIT {
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

    private CertificateAuthorities start(Engine engine) throws Exception {
        bench = new CaBench(engine, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA,O=Rotakey");
        return bench.authorities();
    }

    private IssuedCertificate issue(CertificateAuthorities authorities, String credential, int version, Duration validity)
            throws Exception {
        return authorities.issue("agents-ca", request("agent-" + credential, credential, version, leafKey(KeySpec.EC_P256),
                validity, List.of(), List.of()));
    }

    static X509CRL parse(byte[] der) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }

    static long number(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        return ASN1Integer.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getValue().longValueExact();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void revokedCertificatesAreListedWithTheirReasonAndTheCrlVerifies(Engine engine) throws Exception {
        CertificateAuthorities authorities = start(engine);
        IssuedCertificate superseded = issue(authorities, "cred-a", 1, Duration.ofDays(10));
        IssuedCertificate compromised = issue(authorities, "cred-a", 2, Duration.ofDays(10));
        IssuedCertificate decommissioned = issue(authorities, "cred-b", 1, Duration.ofDays(10));
        IssuedCertificate kept = issue(authorities, "cred-c", 1, Duration.ofDays(10));
        long before = number(parse(authorities.crlDer("agents-ca", Optional.empty())));

        Instant revokedAt = NOW.minusSeconds(30);
        authorities.revoke("cred-a", 1, RevocationReason.SUPERSEDED, revokedAt);
        authorities.revoke("cred-a", 2, RevocationReason.EMERGENCY, revokedAt);
        authorities.revoke("cred-b", 1, RevocationReason.DECOMMISSIONED, revokedAt);
        // Idempotent: the second call keeps the first time and reason.
        authorities.revoke("cred-a", 1, RevocationReason.EMERGENCY, NOW);
        authorities.revoke("never-issued", 1, RevocationReason.SUPERSEDED, NOW);

        byte[] der = authorities.crlDer("agents-ca", Optional.empty());
        X509CRL crl = parse(der);
        crl.verify(authorities.issue("agents-ca", request("x", "cred-x", 1, leafKey(KeySpec.EC_P256), Duration.ofDays(1),
                List.of(), List.of())).chain().get(0).getPublicKey());
        assertThat(number(crl)).isGreaterThan(before);
        assertThat(crl.getRevokedCertificates()).hasSize(3);
        assertThat(reason(crl, superseded.serial())).isEqualTo(CRLReason.SUPERSEDED);
        assertThat(reason(crl, compromised.serial())).isEqualTo(CRLReason.KEY_COMPROMISE);
        assertThat(reason(crl, decommissioned.serial())).isEqualTo(CRLReason.CESSATION_OF_OPERATION);
        assertThat(crl.getRevokedCertificate(superseded.serial()).getRevocationDate().toInstant()).isEqualTo(revokedAt);
        assertThat(crl.getRevokedCertificate(kept.serial())).isNull();
        assertThat(crl.getNextUpdate().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(1)));
        assertThat(authorities.issuedFor("cred-a").get(1).revokedAt()).isEqualTo(revokedAt);
        assertThat(authorities.issuedFor("cred-c").get(1).revokedAt()).isNull();

        Path crlFile = Files.write(dir.resolve("agents.crl"), der);
        Path root = Files.writeString(dir.resolve("root.pem"), authorities.chainPem("agents-ca"));
        String text = openssl("crl", "-inform", "DER", "-in", crlFile.toString(), "-noout", "-text");
        assertThat(text).containsPattern("Serial Number: 0*" + superseded.serial().toString(16).toUpperCase()
                        + "\\s+Revocation Date: .*\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Superseded")
                .containsPattern("Serial Number: 0*" + compromised.serial().toString(16).toUpperCase()
                        + "\\s+Revocation Date: .*\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Key Compromise")
                .containsPattern("Serial Number: 0*" + decommissioned.serial().toString(16).toUpperCase()
                        + "\\s+Revocation Date: .*\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Cessation Of Operation")
                .doesNotContain(kept.serial().toString(16).toUpperCase())
                .contains("X509v3 CRL Number").contains("X509v3 Authority Key Identifier");
        assertThat(openssl("crl", "-inform", "DER", "-in", crlFile.toString(), "-CAfile", root.toString(), "-noout"))
                .contains("verify OK");
        // A relying party that checks CRLs refuses the revoked certificate and accepts the other.
        Path crlPem = dir.resolve("agents-crl.pem");
        openssl("crl", "-inform", "DER", "-in", crlFile.toString(), "-out", crlPem.toString());
        Path revokedPem = Files.writeString(dir.resolve("revoked.pem"), compromised.certificatePem());
        Path keptPem = Files.writeString(dir.resolve("kept.pem"), kept.certificatePem());
        assertThat(openssl("verify", "-crl_check", "-CAfile", root.toString(), "-CRLfile", crlPem.toString(), keptPem.toString()))
                .contains("kept.pem: OK");
        OpenSsl.Result refused = OpenSsl.run(dir, "verify", "-crl_check", "-CAfile", root.toString(), "-CRLfile",
                crlPem.toString(), revokedPem.toString());
        assertThat(refused.output()).contains("certificate revoked");
        assertThat(refused.exitCode()).isNotZero();
    }

    private static CRLReason reason(X509CRL crl, BigInteger serial) {
        X509CRLEntry entry = crl.getRevokedCertificate(serial);
        assertThat(entry).as("CRL entry of " + serial.toString(16)).isNotNull();
        return entry.getRevocationReason();
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void crlNumbersIncreaseAcrossReSignsAndInstancesOnTheSameDatabase(Engine engine) throws Exception {
        CertificateAuthorities authorities = start(engine);
        long first = number(parse(authorities.crlDer("agents-ca", Optional.empty())));
        issue(authorities, "cred-a", 1, Duration.ofDays(10));
        authorities.revoke("cred-a", 1, RevocationReason.SUPERSEDED, NOW);
        long afterRevoke = number(parse(authorities.crlDer("agents-ca", Optional.of(1))));

        // Another node (or a restart) on the same database continues the sequence.
        CertificateAuthorities other = bench.authorities();
        bench.clock.advance(Duration.ofHours(13));
        other.refreshCrls();
        long afterOther = number(parse(other.crlDer("agents-ca", Optional.empty())));
        bench.clock.advance(Duration.ofHours(13));
        authorities.refreshCrls();
        long afterFirstAgain = number(parse(authorities.crlDer("agents-ca", Optional.empty())));

        assertThat(first).isPositive();
        assertThat(afterRevoke).isGreaterThan(first);
        assertThat(afterOther).isGreaterThan(afterRevoke);
        assertThat(afterFirstAgain).isGreaterThan(afterOther);
        assertThat(other.crlDer("agents-ca", Optional.empty())).isEqualTo(authorities.crlDer("agents-ca", Optional.empty()));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void concurrentRevocationsAllReachTheCrlWithAtMostOneSignatureEach(Engine engine) throws Exception {
        CertificateAuthorities authorities = start(engine);
        List<IssuedCertificate> issued = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            issued.add(issue(authorities, "cred-" + i, 1, Duration.ofDays(2)));
        }
        long before = number(parse(authorities.crlDer("agents-ca", Optional.empty())));
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String credential = "cred-" + i;
                done.add(threads.submit(() -> authorities.revoke(credential, 1, RevocationReason.DECOMMISSIONED, NOW)));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        X509CRL crl = parse(authorities.crlDer("agents-ca", Optional.empty()));
        for (IssuedCertificate c : issued) {
            assertThat(reason(crl, c.serial())).isEqualTo(CRLReason.CESSATION_OF_OPERATION);
        }
        assertThat(number(crl)).isBetween(before + 1, before + 6);
    }

    @Test
    void theRefreshReSignsOnceLessThanHalfTheValidityRemainsAndDropsExpiredEntries() throws Exception {
        CertificateAuthorities authorities = start(Engine.H2);
        IssuedCertificate shortLived = issue(authorities, "cred-short", 1, Duration.ofHours(2));
        IssuedCertificate longLived = issue(authorities, "cred-long", 1, Duration.ofDays(5));
        authorities.revoke("cred-short", 1, RevocationReason.EMERGENCY, NOW);
        authorities.revoke("cred-long", 1, RevocationReason.SUPERSEDED, NOW);
        X509CRL signed = parse(authorities.crlDer("agents-ca", Optional.empty()));
        assertThat(signed.getRevokedCertificates()).hasSize(2);

        bench.clock.advance(Duration.ofHours(11));
        authorities.refreshCrls();
        X509CRL unchanged = parse(authorities.crlDer("agents-ca", Optional.empty()));
        assertThat(number(unchanged)).isEqualTo(number(signed));
        assertThat(authorities.problems()).isEmpty();

        bench.clock.advance(Duration.ofHours(2));
        authorities.refreshCrls();
        X509CRL resigned = parse(authorities.crlDer("agents-ca", Optional.empty()));
        assertThat(number(resigned)).isGreaterThan(number(signed));
        assertThat(resigned.getThisUpdate().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(13)));
        assertThat(resigned.getNextUpdate().toInstant()).isEqualTo(NOW.plus(Duration.ofHours(13 + 24)));
        // The expired certificate has left the CRL; the unexpired one stays.
        assertThat(resigned.getRevokedCertificate(shortLived.serial())).isNull();
        assertThat(resigned.getRevokedCertificate(longLived.serial())).isNotNull();
    }

    @Test
    void aLapsedCrlIsReSignedOnFetchAndReportedUntilThen() throws Exception {
        CertificateAuthorities authorities = start(Engine.H2);
        long first = number(parse(authorities.crlDer("agents-ca", Optional.empty())));
        assertThat(authorities.problems()).isEmpty();

        bench.clock.advance(Duration.ofHours(25));
        assertThat(authorities.problems()).singleElement().asString().contains("agents-ca").contains("lapsed");

        X509CRL fetched = parse(authorities.crlDer("agents-ca", Optional.empty()));
        assertThat(number(fetched)).isGreaterThan(first);
        assertThat(fetched.getNextUpdate().toInstant()).isAfter(bench.clock.instant());
        assertThat(authorities.problems()).isEmpty();
    }

    @Test
    void aRevocationTheBackendCouldNotSignIsListedByTheNextRefreshEvenAfterARestart() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA");
        KeyBackend failing = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        failing.start();
        CertificateAuthorities first = new CertificateAuthorities(bench.configs, new KeyBackends(Map.of("hsm", failing)),
                bench.db.store(), bench.audit(), bench.clock);
        first.start();
        IssuedCertificate issued = issue(first, "cred-a", 1, Duration.ofDays(3));
        long signed = number(parse(first.crlDer("agents-ca", Optional.empty())));

        failing.close();
        assertThatThrownBy(() -> first.revoke("cred-a", 1, RevocationReason.EMERGENCY, NOW))
                .isInstanceOf(KeyBackendException.class);
        // The revocation itself is recorded; the CRL does not list it yet.
        assertThat(first.issuedFor("cred-a").get(1).revokedAt()).isEqualTo(NOW);

        // A restart: a new connection to the token, which sees the key the first one created.
        KeyBackend reconnected = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        reconnected.start();
        CertificateAuthorities restarted = new CertificateAuthorities(bench.configs,
                new KeyBackends(Map.of("hsm", reconnected)), bench.db.store(), bench.audit(), bench.clock);
        restarted.start();
        X509CRL crl = parse(restarted.crlDer("agents-ca", Optional.empty()));
        assertThat(number(crl)).isGreaterThan(signed);
        assertThat(reason(crl, issued.serial())).isEqualTo(CRLReason.KEY_COMPROMISE);
        long resigned = number(crl);
        restarted.refreshCrls();
        assertThat(number(parse(restarted.crlDer("agents-ca", Optional.empty())))).as("signed once, not at every refresh")
                .isEqualTo(resigned);
        reconnected.close();
    }

    @Test
    void theActiveGenerationsCrlIsAlsoWrittenToTheCrlFile() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        Path file = dir.resolve("published/agents.crl");
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA").setCrlFile(file.toString());
        CertificateAuthorities authorities = bench.authorities();
        assertThat(Files.readAllBytes(file)).isEqualTo(authorities.crlDer("agents-ca", Optional.empty()));

        issue(authorities, "cred-a", 1, Duration.ofDays(1));
        authorities.revoke("cred-a", 1, RevocationReason.SUPERSEDED, NOW);

        byte[] current = authorities.crlDer("agents-ca", Optional.empty());
        assertThat(parse(current).getRevokedCertificates()).hasSize(1);
        assertThat(Files.readAllBytes(file)).isEqualTo(current);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
        try (var listing = Files.list(file.getParent())) {
            assertThat(listing.map(p -> p.getFileName().toString()).toList()).containsExactly("agents.crl");
        }

        // Another node (its own crlFile) signs the next CRL: this node's refresh brings its file up to date.
        Path otherFile = dir.resolve("other-node/agents.crl");
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA").setCrlFile(otherFile.toString());
        CertificateAuthorities otherNode = bench.authorities();
        issue(otherNode, "cred-b", 1, Duration.ofDays(1));
        otherNode.revoke("cred-b", 1, RevocationReason.DECOMMISSIONED, NOW);
        byte[] newest = otherNode.crlDer("agents-ca", Optional.empty());
        assertThat(Files.readAllBytes(otherFile)).isEqualTo(newest);
        assertThat(Files.readAllBytes(file)).isEqualTo(current);
        authorities.refreshCrls();
        assertThat(Files.readAllBytes(file)).isEqualTo(newest);

        // After a CA rotation the file holds the new generation's CRL.
        authorities.rotate("agents-ca", "admin");
        X509CRL rotated = parse(Files.readAllBytes(file));
        assertThat(rotated.getRevokedCertificates()).isNull();
        assertThat(Files.readAllBytes(file)).isEqualTo(authorities.crlDer("agents-ca", Optional.of(2)));
    }
}
