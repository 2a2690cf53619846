package dev.rotakey.ca;

import dev.rotakey.StartupException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.core.RejectedException;
import dev.rotakey.testing.TestDatabases.Engine;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static dev.rotakey.ca.CaBench.leafKey;
import static dev.rotakey.testing.OpenSsl.openssl;
import static dev.rotakey.ca.CaBench.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Leaf certificates from CAs whose keys live in SoftHSM2: the agent's identity and usages as OpenSSL
 * reads them, verification against the published chain (through an intermediate too), the ledger,
 * and the requests a CA refuses.
 */
class LeafIssuingIT {
    /** OpenSSL checks validity against the real clock: these tests start at the real time. */
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

    private Path write(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void leavesOfEveryKeySpecCarryTheAgentsIdentityAndVerifyWithOpenSsl(KeySpec spec) throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", spec, "CN=Agents CA,O=Rotakey");
        CertificateAuthorities authorities = bench.authorities();

        IssuedCertificate issued = authorities.issue("agents-ca", request("billing-agent", "billing-cert", 3, leafKey(spec),
                Duration.ofDays(30), List.of("billing.example.org"), List.of("https://billing.example.org/agent")));
        X509Certificate leaf = issued.certificate();

        assertThat(issued.caGeneration()).isEqualTo(1);
        assertThat(issued.chain()).hasSize(1);
        leaf.verify(issued.chain().get(0).getPublicKey());
        assertThat(leaf.getSubjectX500Principal().getName()).isEqualTo("CN=billing-agent");
        assertThat(leaf.getNotBefore().toInstant()).isEqualTo(NOW.minus(RootCertificateBuilder.BACKDATE));
        assertThat(leaf.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(30)));
        assertThat(leaf.getSerialNumber().bitLength()).isEqualTo(65);
        assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
        assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId(), Extension.keyUsage.getId());
        // The SPIFFE ID comes first: SPIFFE verifiers read the first URI SAN.
        assertThat(leaf.getSubjectAlternativeNames().stream().map(n -> n.get(0) + "=" + n.get(1)).toList())
                .containsExactly("6=spiffe://example.org/agent/billing-agent", "6=https://billing.example.org/agent",
                        "2=billing.example.org");
        assertThat(aki(leaf)).isEqualTo(ski(issued.chain().get(0)));

        Path cert = write("cert.pem", issued.certificatePem());
        Path chain = write("chain.pem", authorities.chainPem("agents-ca"));
        assertThat(openssl("verify", "-CAfile", chain.toString(), cert.toString())).contains("cert.pem: OK");
        String text = openssl("x509", "-noout", "-text", "-in", cert.toString());
        assertThat(text).contains("URI:spiffe://example.org/agent/billing-agent, URI:https://billing.example.org/agent, DNS:billing.example.org")
                .contains("TLS Web Client Authentication, TLS Web Server Authentication")
                .contains("CA:FALSE")
                .containsPattern("X509v3 Basic Constraints: critical")
                .containsPattern("X509v3 Key Usage: critical\\s+Digital Signature" + (spec.keyAlgorithm().equals("RSA") ? ", Key Encipherment" : "\\s"))
                .contains("URI:https://ca.example.org/api/v1/cas/agents-ca/crl?generation=1")
                .contains("Subject Key Identifier").contains("Authority Key Identifier");

        CertificateSummary summary = authorities.issuedFor("billing-cert").get(3);
        assertThat(summary.serial()).isEqualTo(leaf.getSerialNumber().toString(16));
        assertThat(summary.caName()).isEqualTo("agents-ca");
        assertThat(summary.caGeneration()).isEqualTo(1);
        assertThat(summary.notAfter()).isEqualTo(leaf.getNotAfter().toInstant());
        assertThat(summary.revokedAt()).isNull();
    }

    @Test
    void withoutDnsNamesALeafIsForClientsOnlyAndEachIssueHasItsOwnSerial() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA");
        CertificateAuthorities authorities = bench.authorities();

        IssuedCertificate first = authorities.issue("agents-ca", request("a1", "c1", 1, leafKey(KeySpec.EC_P256),
                Duration.ofHours(12), List.of(), List.of()));
        // A re-issue of the same version (the workflow recreating material) comes later.
        bench.clock.advance(Duration.ofSeconds(1));
        IssuedCertificate again = authorities.issue("agents-ca", request("a1", "c1", 1, leafKey(KeySpec.EC_P256),
                Duration.ofHours(12), List.of(), List.of()));

        assertThat(first.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(first.certificate().getSubjectAlternativeNames()).hasSize(1);
        assertThat(again.serial()).isNotEqualTo(first.serial());
        // The latest certificate of a version is the one the API shows.
        assertThat(authorities.issuedFor("c1")).containsOnlyKeys(1);
        assertThat(authorities.issuedFor("c1").get(1).serial()).isEqualTo(again.serial().toString(16));
        assertThat(authorities.issuedFor("nothing-issued")).isEmpty();
        String text = openssl("x509", "-noout", "-text", "-in", write("c.pem", first.certificatePem()).toString());
        assertThat(text).contains("TLS Web Client Authentication").doesNotContain("Server Authentication")
                .doesNotContain("Key Encipherment");
    }

    @Test
    void aLeafOfAnIntermediateVerifiesThroughTheFullChain() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("root-ca", KeySpec.EC_P384, "CN=Root CA,O=Rotakey").setValidity(Duration.ofDays(100));
        // Longer than its parent: clamped to the root's notAfter.
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents Intermediate CA,O=Rotakey").setParent("root-ca");
        bench.configs.get("agents-ca").setValidity(Duration.ofDays(1000));
        CertificateAuthorities authorities = bench.authorities();

        IssuedCertificate issued = authorities.issue("agents-ca", request("agent-7", "cred-7", 1, leafKey(KeySpec.RSA_2048),
                Duration.ofDays(7), List.of(), List.of()));

        assertThat(issued.chain()).hasSize(2);
        X509Certificate intermediate = issued.chain().get(0);
        X509Certificate root = issued.chain().get(1);
        assertThat(intermediate.getSubjectX500Principal().getName()).isEqualTo("CN=Agents Intermediate CA,O=Rotakey");
        assertThat(intermediate.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
        assertThat(intermediate.getBasicConstraints()).isZero();
        assertThat(intermediate.getNotAfter()).isEqualTo(root.getNotAfter());
        assertThat(aki(intermediate)).isEqualTo(ski(root));
        intermediate.verify(root.getPublicKey());

        Path cert = write("leaf.pem", issued.certificatePem());
        Path chain = write("chain.pem", authorities.chainPem("agents-ca"));
        assertThat(authorities.chainPem("agents-ca")).isEqualTo(CertificatePem.of(intermediate) + CertificatePem.of(root));
        assertThat(issued.chainPem()).isEqualTo(authorities.chainPem("agents-ca"));
        assertThat(openssl("verify", "-CAfile", chain.toString(), cert.toString())).contains("leaf.pem: OK");
        Path rootOnly = write("root.pem", authorities.chainPem("root-ca"));
        Path untrusted = write("intermediate.pem", CertificatePem.of(intermediate));
        assertThat(openssl("verify", "-CAfile", rootOnly.toString(), "-untrusted", untrusted.toString(), cert.toString()))
                .contains("leaf.pem: OK");
        assertThat(openssl("x509", "-noout", "-text", "-in", untrusted.toString()))
                .containsPattern("X509v3 Basic Constraints: critical\\s+CA:TRUE, pathlen:0")
                .containsPattern("X509v3 Key Usage: critical\\s+Certificate Sign, CRL Sign");
    }

    @Test
    void unknownCasAndValiditiesTheCaCannotHonourAreRefused() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA").setValidity(Duration.ofDays(90));
        bench.ca("other-ca", KeySpec.EC_P256, "CN=Other CA");
        CertificateAuthorities authorities = bench.authorities();

        assertThatThrownBy(() -> authorities.checkLeafRequest("no-such-ca", Duration.ofDays(1)))
                .isInstanceOfSatisfying(RejectedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
                    assertThat(e.field()).isEqualTo("ca");
                    assertThat(e.getMessage()).contains("no-such-ca").contains("agents-ca").contains("other-ca");
                });
        assertThatThrownBy(() -> authorities.issue("no-such-ca", request("a", "c", 1, leafKey(KeySpec.EC_P256),
                Duration.ofDays(1), List.of(), List.of())))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.field()).isEqualTo("ca"));
        for (Duration bad : List.of(Duration.ZERO, Duration.ofDays(-1), Duration.ofDays(91))) {
            assertThatThrownBy(() -> authorities.checkLeafRequest("agents-ca", bad))
                    .as(bad.toString())
                    .isInstanceOfSatisfying(RejectedException.class, e -> {
                        assertThat(e.kind()).isEqualTo(RejectedException.Kind.INVALID);
                        assertThat(e.field()).isEqualTo("validity");
                    });
        }
        assertThatThrownBy(() -> authorities.checkLeafRequest("agents-ca", Duration.ofDays(91)))
                .hasMessageContaining("agents-ca").hasMessageContaining("expires at");
        authorities.checkLeafRequest("agents-ca", Duration.ofDays(89));
        authorities.checkLeafRequest("other-ca", Duration.ofDays(300));
        List<?> issued = bench.db.store().read(d -> d.issuedCertificates().forCredential("c"));
        assertThat(issued).isEmpty();
    }

    @Test
    void aLeafNeverOutlivesItsCaAndAnExpiredCaIssuesNothing() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA").setValidity(Duration.ofDays(2));
        CertificateAuthorities authorities = bench.authorities();
        Instant caNotAfter = NOW.plus(Duration.ofDays(2));

        bench.clock.advance(Duration.ofHours(36));
        // Accepted when the credential was created; the CA has aged since.
        IssuedCertificate late = authorities.issue("agents-ca", request("a", "c", 2, leafKey(KeySpec.EC_P256),
                Duration.ofDays(1), List.of(), List.of()));
        assertThat(late.notAfter()).isEqualTo(caNotAfter);

        bench.clock.advance(Duration.ofHours(13));
        assertThatThrownBy(() -> authorities.issue("agents-ca", request("a", "c", 3, leafKey(KeySpec.EC_P256),
                Duration.ofDays(1), List.of(), List.of())))
                .isInstanceOf(CertificateAuthorityNotReadyException.class)
                .hasMessageContaining("expired").hasMessageContaining("rotate-ca?ca=agents-ca");
        assertThat(authorities.issuedFor("c")).containsOnlyKeys(2);
        assertThat(authorities.problems()).anySatisfy(p -> assertThat(p).startsWith("agents-ca:").contains("expires"));
    }

    @Test
    void anUnknownParentOrACycleStopsStartUpNamingTheKey() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        KeyBackends backends = new KeyBackends(Map.of("hsm", bench.backend));
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA").setParent("missing-ca");
        assertThatThrownBy(() -> new CertificateAuthorities(bench.configs, backends, bench.db.store(), bench.audit(), bench.clock))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining("certificateAuthorities.agents-ca.parent").hasMessageContaining("missing-ca");

        bench.configs.get("agents-ca").setParent("b-ca");
        bench.ca("b-ca", KeySpec.EC_P256, "CN=B").setParent("agents-ca");
        assertThatThrownBy(() -> new CertificateAuthorities(bench.configs, backends, bench.db.store(), bench.audit(), bench.clock))
                .isInstanceOf(StartupException.class)
                .hasMessageContaining(".parent").hasMessageContaining("cycle").hasMessageContaining("agents-ca -> b-ca");

        bench.configs.get("b-ca").setParent("b-ca");
        bench.configs.get("agents-ca").setParent(null);
        assertThatThrownBy(() -> new CertificateAuthorities(bench.configs, backends, bench.db.store(), bench.audit(), bench.clock))
                .isInstanceOf(StartupException.class).hasMessageContaining("certificateAuthorities.b-ca.parent");
        // Nothing was created in the token or the database.
        List<?> created = bench.db.store().read(d -> d.certificateAuthorities().generationsIn("hsm"));
        assertThat(created).isEmpty();
    }

    static byte[] ski(X509Certificate c) {
        byte[] ext = c.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifier();
    }

    static byte[] aki(X509Certificate c) {
        byte[] ext = c.getExtensionValue(Extension.authorityKeyIdentifier.getId());
        return AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getKeyIdentifierObject().getOctets();
    }
}
