package dev.rotakey.auth;

import dev.rotakey.config.MtlsFactory;
import dev.rotakey.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.rotakey.testing.TestPki.chain;
import static dev.rotakey.testing.TestPki.dns;
import static dev.rotakey.testing.TestPki.uri;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ClientCertificates} with real certificates and CRLs made by BouncyCastle, checked by the JDK's PKIX
 * validator: a Rotakey agents' CA (its generations and CRLs handed over as the database would), and a partner CA
 * read from real PEM files by {@link FileCaAuthority}. The database-backed authority is the end-to-end test's.
 */
class ClientCertificatesTest {
    @TempDir
    Path dir;

    private final TestPki.Ca agentsCa = TestPki.Ca.root("CN=Agents CA,O=Test");
    private final TestPki.Ca partnerRoot = TestPki.Ca.root("CN=Partner Root,O=Partner");
    private final TestPki.Ca partnerIssuing = partnerRoot.intermediate("CN=Partner Issuing,O=Partner");
    /** What the agents' CA publishes now: mutable, as revocations change it. */
    private final List<X509Certificate> agentsGenerations = new ArrayList<>(List.of(agentsCa.certificate()));
    private final List<X509CRL> agentsCrls = new ArrayList<>(List.of(agentsCa.crl()));

    /** The agents' CA as {@link RotakeyCaAuthority} sees it: its generations in use and their current CRLs. */
    private final ClientCertificateAuthority agents = new ClientCertificateAuthority() {
        @Override
        public String describe() {
            return "ca agents-ca";
        }

        @Override
        public String rotakeyCa() {
            return "agents-ca";
        }

        @Override
        public Trust trust() {
            return new Trust(List.copyOf(agentsGenerations), List.copyOf(agentsCrls), true);
        }
    };

    private static MtlsFactory.RoleMappingFactory mapping(String kind, String value, String role) {
        MtlsFactory.RoleMappingFactory m = new MtlsFactory.RoleMappingFactory();
        switch (kind) {
            case "subject" -> m.setSubject(value);
            case "uri" -> m.setUri(value);
            default -> m.setDns(value);
        }
        m.setRole(role);
        return m;
    }

    private ClientCertificates checks(ClientCertificateAuthority... authorities) {
        return new ClientCertificates(List.of(authorities), "agents-ca", "td.example", List.of(
                mapping("subject", "CN=prometheus, O=Example", "monitor"),
                mapping("uri", "spiffe://partner.example/ns/audit/sa/auditor", "auditor"),
                mapping("dns", "Ops.Partner.Example", "operator")), Clock.systemUTC());
    }

    /** The partner CA from files: its root, and a CRL file of both its CAs, written now. */
    private FileCaAuthority partnerFiles(X509Certificate... revoked) throws Exception {
        Path ca = Files.writeString(dir.resolve("partner-ca.pem"), TestPki.pem("CERTIFICATE", partnerRoot.certificate().getEncoded()));
        return new FileCaAuthority("auth.mtls.authorities[1]", ca, writeCrls(revoked));
    }

    private Path writeCrls(X509Certificate... revoked) throws Exception {
        return Files.writeString(dir.resolve("partner.crl.pem"), TestPki.pem("X509 CRL", partnerRoot.crl().getEncoded())
                + TestPki.pem("X509 CRL", partnerIssuing.crl(revoked).getEncoded()));
    }

    private static Operator identified(ClientCertificates.Outcome outcome) {
        assertThat(outcome).isInstanceOf(ClientCertificates.Identified.class);
        return ((ClientCertificates.Identified) outcome).operator();
    }

    private static String refused(ClientCertificates.Outcome outcome) {
        assertThat(outcome).isInstanceOf(ClientCertificates.Refused.class);
        return ((ClientCertificates.Refused) outcome).problem();
    }

    @Test
    void anAgentsCertificateAuthenticatesThatAgentBySpiffeId() {
        TestPki.Leaf leaf = agentsCa.leaf("CN=billing", uri("spiffe://td.example/agent/billing"));

        Operator op = identified(checks(agents).authenticate(chain(leaf.certificate(), agentsCa.certificate())));

        assertThat(op.role()).isEqualTo("agent");
        assertThat(op.agent()).isEqualTo("billing");
        assertThat(op.name()).isEqualTo("spiffe://td.example/agent/billing");
        assertThat(op.actor()).isEqualTo("spiffe://td.example/agent/billing");
        assertThat(op.via()).isEqualTo(Operator.Via.CERTIFICATE);
        assertThat(op.owner()).isNull();
        assertThat(op.bounds().agent()).isEqualTo("billing");
        // The leaf alone (no chain sent) reaches the anchor too.
        assertThat(identified(checks(agents).authenticate(chain(leaf.certificate()))).agent()).isEqualTo("billing");
    }

    @Test
    void anExpiredCertificateAuthenticatesNobody() {
        TestPki.Leaf expired = agentsCa.leaf("CN=old", Instant.now().minus(Duration.ofDays(2)), Instant.now().minus(Duration.ofDays(1)),
                true, uri("spiffe://td.example/agent/old"));

        assertThat(refused(checks(agents).authenticate(chain(expired.certificate())))).contains("expired")
                .contains("CN=old");
    }

    @Test
    void aCertificateOfAnUnknownCaAuthenticatesNobody() throws Exception {
        TestPki.Ca stranger = TestPki.Ca.root("CN=Agents CA,O=Test");   // the same name, another key
        TestPki.Leaf leaf = stranger.leaf("CN=billing", uri("spiffe://td.example/agent/billing"));

        String problem = refused(checks(agents, partnerFiles()).authenticate(chain(leaf.certificate(), stranger.certificate())));

        assertThat(problem).satisfiesAnyOf(
                p -> assertThat(p).contains("not issued by a certificate authority this server trusts"),
                p -> assertThat(p).contains("signature"));
    }

    @Test
    void aCertificateOnTheCurrentCrlIsRefusedFromTheMomentTheCrlListsIt() {
        TestPki.Leaf leaf = agentsCa.leaf("CN=billing", uri("spiffe://td.example/agent/billing"));
        ClientCertificates checks = checks(agents);
        assertThat(identified(checks.authenticate(chain(leaf.certificate()))).agent()).isEqualTo("billing");

        agentsCrls.set(0, agentsCa.crl(leaf.certificate()));

        assertThat(refused(checks.authenticate(chain(leaf.certificate())))).contains("revoked");
    }

    @Test
    void withoutACurrentCrlRevocationCannotBeToldAndTheCertificateIsRefused() {
        TestPki.Leaf leaf = agentsCa.leaf("CN=billing", uri("spiffe://td.example/agent/billing"));
        agentsCrls.clear();

        assertThat(refused(checks(agents).authenticate(chain(leaf.certificate())))).contains("revocation status");
    }

    @Test
    void aCertificateOfARotatedCaGenerationStaysValidAlongsideTheNewOne() {
        TestPki.Leaf old = agentsCa.leaf("CN=billing", uri("spiffe://td.example/agent/billing"));
        TestPki.Ca next = TestPki.Ca.root("CN=Agents CA,O=Test");   // generation 2: same subject, new key
        TestPki.Leaf fresh = next.leaf("CN=billing", uri("spiffe://td.example/agent/billing"));
        agentsGenerations.add(next.certificate());
        agentsCrls.add(next.crl());
        ClientCertificates checks = checks(agents);

        assertThat(identified(checks.authenticate(chain(old.certificate()))).agent()).isEqualTo("billing");
        assertThat(identified(checks.authenticate(chain(fresh.certificate()))).agent()).isEqualTo("billing");

        agentsCrls.set(0, agentsCa.crl(old.certificate()));
        assertThat(refused(checks.authenticate(chain(old.certificate())))).contains("revoked");
        assertThat(identified(checks.authenticate(chain(fresh.certificate()))).agent()).isEqualTo("billing");
    }

    @Test
    void anAgentsCertificateOfAnotherTrustDomainOrWithoutAnAgentIdAuthenticatesNobody() {
        TestPki.Leaf otherDomain = agentsCa.leaf("CN=billing", uri("spiffe://elsewhere.example/agent/billing"));
        TestPki.Leaf notAnAgent = agentsCa.leaf("CN=billing", uri("spiffe://td.example/workload/billing"));
        TestPki.Leaf twoIds = agentsCa.leaf("CN=billing", uri("spiffe://td.example/agent/a"), uri("spiffe://td.example/agent/b"));
        TestPki.Leaf none = agentsCa.leaf("CN=billing");

        assertThat(refused(checks(agents).authenticate(chain(otherDomain.certificate())))).contains("trust domain td.example");
        assertThat(refused(checks(agents).authenticate(chain(notAnAgent.certificate())))).contains("/agent/<id>");
        assertThat(refused(checks(agents).authenticate(chain(twoIds.certificate())))).contains("exactly one SPIFFE ID");
        assertThat(refused(checks(agents).authenticate(chain(none.certificate())))).contains("exactly one SPIFFE ID");
    }

    @Test
    void anAgentsCertificateNeverGetsAMappedRoleWhateverItsSubject() {
        // Anyone who may create an agent chooses its name, so its certificate's subject: no role by subject.
        TestPki.Leaf leaf = agentsCa.leaf("CN=prometheus,O=Example", uri("spiffe://td.example/agent/prometheus"));

        Operator op = identified(checks(agents).authenticate(chain(leaf.certificate())));

        assertThat(op.role()).isEqualTo("agent");
        assertThat(op.agent()).isEqualTo("prometheus");
    }

    @Test
    void aPartnerCertificateGetsTheRoleItsSubjectMapsTo() throws Exception {
        TestPki.Leaf leaf = partnerIssuing.leaf("CN=prometheus,O=Example");

        Operator op = identified(checks(agents, partnerFiles()).authenticate(
                chain(leaf.certificate(), partnerIssuing.certificate(), partnerRoot.certificate())));

        assertThat(op.role()).isEqualTo("monitor");
        assertThat(op.agent()).isNull();
        assertThat(op.actor()).isEqualTo("cert:subject:CN=prometheus, O=Example");
    }

    @Test
    void aPartnerCertificateGetsTheRoleItsUriOrDnsSanMapsTo() throws Exception {
        TestPki.Leaf auditor = partnerIssuing.leaf("CN=whoever", uri("spiffe://partner.example/ns/audit/sa/auditor"));
        TestPki.Leaf ops = partnerIssuing.leaf("CN=someone", dns("ops.partner.example"));
        ClientCertificates checks = checks(agents, partnerFiles());

        assertThat(identified(checks.authenticate(chain(auditor.certificate(), partnerIssuing.certificate()))).role())
                .isEqualTo("auditor");
        Operator op = identified(checks.authenticate(chain(ops.certificate(), partnerIssuing.certificate())));
        assertThat(op.role()).isEqualTo("operator");
        assertThat(op.actor()).isEqualTo("cert:dns:ops.partner.example");
    }

    @Test
    void aValidPartnerCertificateThatNoRuleMapsAuthenticatesNobody() throws Exception {
        TestPki.Leaf leaf = partnerIssuing.leaf("CN=stranger,O=Partner");

        assertThat(refused(checks(agents, partnerFiles()).authenticate(chain(leaf.certificate(), partnerIssuing.certificate()))))
                .contains("maps it to no role");
    }

    @Test
    void aPartnerCertificateOnTheCrlFileIsRefusedOnceTheFileChanges() throws Exception {
        TestPki.Leaf leaf = partnerIssuing.leaf("CN=prometheus,O=Example");
        FileCaAuthority partner = partnerFiles();
        ClientCertificates checks = checks(agents, partner);
        assertThat(identified(checks.authenticate(chain(leaf.certificate(), partnerIssuing.certificate()))).role())
                .isEqualTo("monitor");

        Path crl = writeCrls(leaf.certificate());
        // The file is read again when its time or size changes; make sure the time does.
        Files.setLastModifiedTime(crl, FileTime.from(Instant.now().plusSeconds(5)));

        assertThat(refused(checks.authenticate(chain(leaf.certificate(), partnerIssuing.certificate())))).contains("revoked");
    }

    @Test
    void aServerOnlyCertificateIsNotAClients() {
        TestPki.Leaf server = agentsCa.leaf("CN=billing", Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600),
                false, uri("spiffe://td.example/agent/billing"));

        assertThat(refused(checks(agents).authenticate(chain(server.certificate())))).contains("client authentication");
    }

    @Test
    void theAcceptedIssuersAreTheAuthoritiesAnchors() throws Exception {
        assertThat(checks(agents, partnerFiles()).acceptedIssuers())
                .containsExactly(agentsCa.certificate(), partnerRoot.certificate());
    }
}
