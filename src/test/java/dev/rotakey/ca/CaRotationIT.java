package dev.rotakey.ca;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RevocationReason;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestDatabases.Engine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.rotakey.ca.CaBench.leafKey;
import static dev.rotakey.testing.OpenSsl.openssl;
import static dev.rotakey.ca.CaBench.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * CA generations: rotation publishes old and new, issues from the new one only (also against a
 * rotation committing concurrently), and retires the old one (destroying its key and nothing else)
 * once nothing it signed is in use; plus the public view and the health problems.
 */
class CaRotationIT {
    private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final Pattern PEM = Pattern.compile("-----BEGIN CERTIFICATE-----");

    @TempDir
    Path dir;
    private CaBench bench;

    @AfterEach
    void close() throws Exception {
        if (bench != null) {
            bench.close();
        }
    }

    private IssuedCertificate issue(CertificateAuthorities authorities, String ca, String credential, Duration validity)
            throws Exception {
        return authorities.issue(ca, request("agent-" + credential, credential, 1, leafKey(KeySpec.EC_P256), validity,
                List.of(), List.of()));
    }

    private CaRecord generation(String ca, int generation) {
        return bench.db.store().read(d -> d.certificateAuthorities().generation(ca, generation)).orElseThrow();
    }

    private static int certificates(String pem) {
        Matcher m = PEM.matcher(pem);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void theOldGenerationStaysPublishedUntilItsLeavesAreRevokedOrExpiredThenItsKeyIsDestroyed(Engine engine) throws Exception {
        bench = new CaBench(engine, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA,O=Rotakey");
        bench.ca("other-ca", KeySpec.EC_P256, "CN=Other CA");
        CertificateAuthorities authorities = bench.authorities();
        IssuedCertificate expiring = issue(authorities, "agents-ca", "cred-expiring", Duration.ofHours(2));
        IssuedCertificate revoked = issue(authorities, "agents-ca", "cred-revoked", Duration.ofDays(10));
        String gen1Pem = authorities.chainPem("agents-ca");

        CaSnapshot view = authorities.rotate("agents-ca", "admin");

        assertThat(view.generations()).extracting(CaSnapshot.Generation::generation,
                CaSnapshot.Generation::state, CaSnapshot.Generation::outstandingCertificates)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, GenerationState.ACTIVE, 0L),
                        org.assertj.core.groups.Tuple.tuple(1, GenerationState.RETIRING, 2L));
        assertThat(view.generations().get(0).subject()).isEqualTo(view.generations().get(1).subject());
        String chain = authorities.chainPem("agents-ca");
        assertThat(certificates(chain)).isEqualTo(2);
        assertThat(chain).endsWith(gen1Pem);
        CaRecord gen1 = generation("agents-ca", 1);
        CaRecord gen2 = generation("agents-ca", 2);
        assertThat(gen2.keyAlias()).startsWith("rotakey-ca-agents-ca-2-").isNotEqualTo(gen1.keyAlias());

        IssuedCertificate fresh = issue(authorities, "agents-ca", "cred-fresh", Duration.ofDays(10));
        assertThat(fresh.caGeneration()).isEqualTo(2);
        assertThat(LeafIssuingIT.aki(fresh.certificate())).isEqualTo(LeafIssuingIT.ski(fresh.chain().get(0)));
        assertThat(LeafIssuingIT.aki(fresh.certificate())).isNotEqualTo(LeafIssuingIT.aki(revoked.certificate()));
        assertThat(fresh.certificate().getExtensionValue("2.5.29.31")).isNotNull();
        // Both generations' leaves verify against the published chain.
        Path chainFile = Files.writeString(dir.resolve("chain.pem"), chain);
        Path a = Files.writeString(dir.resolve("old.pem"), revoked.certificatePem());
        Path b = Files.writeString(dir.resolve("new.pem"), fresh.certificatePem());
        assertThat(openssl("verify", "-CAfile", chainFile.toString(), a.toString(), b.toString()))
                .contains("old.pem: OK").contains("new.pem: OK");
        // Generation 1 still signs its CRL while RETIRING.
        assertThat(RevocationListIT.parse(authorities.crlDer("agents-ca", Optional.of(1))).getIssuerX500Principal())
                .isEqualTo(expiring.chain().get(0).getSubjectX500Principal());

        authorities.revoke("cred-revoked", 1, RevocationReason.SUPERSEDED, NOW);
        authorities.refreshCrls();
        assertThat(generation("agents-ca", 1).state()).as("one leaf of generation 1 is still valid").isEqualTo("RETIRING");
        assertThat(bench.tokenHasKey(gen1.keyAlias())).isTrue();

        bench.clock.advance(Duration.ofHours(3));
        authorities.refreshCrls();

        CaRecord retired = generation("agents-ca", 1);
        assertThat(retired.state()).isEqualTo("RETIRED");
        assertThat(retired.keyDestroyedAt()).isNotNull();
        assertThat(bench.tokenHasKey(gen1.keyAlias())).isFalse();
        assertThat(bench.tokenHasKey(gen2.keyAlias())).isTrue();
        assertThat(bench.tokenHasKey(generation("other-ca", 1).keyAlias())).isTrue();
        assertThat(certificates(authorities.chainPem("agents-ca"))).isEqualTo(1);
        assertThat(authorities.chainPem("agents-ca")).doesNotContain(gen1Pem);
        assertThat(authorities.snapshot("agents-ca").generations()).extracting(CaSnapshot.Generation::state)
                .containsExactly(GenerationState.ACTIVE, GenerationState.RETIRED);
        // Everything still signs after the neighbouring key was destroyed.
        assertThat(issue(authorities, "agents-ca", "cred-after", Duration.ofDays(1)).caGeneration()).isEqualTo(2);
        assertThat(issue(authorities, "other-ca", "cred-other", Duration.ofDays(1)).caGeneration()).isEqualTo(1);
        assertThat(authorities.crlDer("agents-ca", Optional.empty())).isNotEmpty();
        // The retired generation's last CRL is still served; nothing is signed with the destroyed key.
        assertThat(authorities.crlDer("agents-ca", Optional.of(1))).isNotEmpty();
        assertThat(authorities.problems()).isEmpty();

        List<String> audit = bench.db.store().read(d -> d.audit().list(null, null, Long.MAX_VALUE, 100).stream()
                .map(e -> e.action() + " " + e.subject() + " " + e.details()).toList());
        assertThat(audit).anyMatch(l -> l.startsWith("ca.rotated ca:agents-ca/2"))
                .anyMatch(l -> l.startsWith("ca.retired ca:agents-ca/1"))
                .anyMatch(l -> l.startsWith("certificate.issued credential:cred-fresh/v1"))
                .anyMatch(l -> l.startsWith("certificate.revoked credential:cred-revoked/v1"))
                .noneMatch(l -> l.contains("PRIVATE KEY"));
    }

    @Test
    void aParentGenerationRetiresOnlyOnceNoChildGenerationItSignedIsInUse() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("root-ca", KeySpec.EC_P384, "CN=Root CA");
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA").setParent("root-ca");
        CertificateAuthorities authorities = bench.authorities();

        authorities.rotate("root-ca", "admin");
        authorities.refreshCrls();
        assertThat(generation("root-ca", 1).state()).as("agents-ca generation 1 depends on it").isEqualTo("RETIRING");
        // The child still chains to the generation that signed it; the chain shows both root generations.
        assertThat(certificates(authorities.chainPem("agents-ca"))).isEqualTo(3);

        authorities.rotate("agents-ca", "admin");
        CaRecord child2 = generation("agents-ca", 2);
        assertThat(child2.parentGeneration()).isEqualTo(2);
        IssuedCertificate leaf = issue(authorities, "agents-ca", "cred-1", Duration.ofDays(1));
        assertThat(leaf.chain()).hasSize(2);
        assertThat(leaf.chain().get(1).getSerialNumber()).isEqualTo(parse(generation("root-ca", 2)).getSerialNumber());

        authorities.refreshCrls();
        assertThat(generation("agents-ca", 1).state()).isEqualTo("RETIRED");
        // Retired children free their parent at the next pass over the parent.
        authorities.refreshCrls();
        assertThat(generation("root-ca", 1).state()).isEqualTo("RETIRED");
        assertThat(certificates(authorities.chainPem("agents-ca"))).isEqualTo(2);
        Path chain = Files.writeString(dir.resolve("chain.pem"), authorities.chainPem("agents-ca"));
        Path cert = Files.writeString(dir.resolve("leaf.pem"), leaf.certificatePem());
        assertThat(openssl("verify", "-CAfile", chain.toString(), cert.toString())).contains("leaf.pem: OK");
    }

    private static X509Certificate parse(CaRecord record) throws Exception {
        return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(record.certificatePem().getBytes()));
    }

    /**
     * A rotation holding the CA lock with its switch not yet committed: an issue that starts then
     * waits, and signs with the generation the rotation made ACTIVE.
     */
    @Test
    void anIssueRacingARotationSignsWithTheGenerationActiveWhenTheSwitchCommits() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA");
        CertificateAuthorities authorities = bench.authorities();
        String alias = "rotakey-ca-agents-ca-2-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
        SigningKey key = bench.backend.createSigningKey(alias, KeySpec.EC_P256);
        X509Certificate gen2 = new RootCertificateBuilder(new SecureRandom(), bench.clock)
                .build(key, CertificateAuthorityFactory.parseSubject("CN=Agents CA"), Duration.ofDays(365));
        AtomicReference<Thread> issuer = new AtomicReference<>();
        AtomicReference<CompletableFuture<IssuedCertificate>> issued = new AtomicReference<>();

        bench.db.store().txRun(d -> {
            assertThat(d.certificateAuthorities().lock("agents-ca")).isTrue();
            d.certificateAuthorities().changeState("agents-ca", 1, "ACTIVE", "RETIRING", null);
            d.certificateAuthorities().insert(new CaRecord("agents-ca", 2, alias, "EC_P256", "hsm",
                    CertificatePem.of(gen2), "ACTIVE", NOW));
            issued.set(CompletableFuture.supplyAsync(() -> {
                issuer.set(Thread.currentThread());
                try {
                    return issue(authorities, "agents-ca", "cred-race", Duration.ofDays(1));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
            // Waiting on the CA lock held by this transaction.
            await().atMost(Duration.ofSeconds(10)).until(() -> issuer.get() != null
                    && (issuer.get().getState() == Thread.State.TIMED_WAITING || issuer.get().getState() == Thread.State.WAITING));
            assertThat(issued.get()).isNotDone();
        });

        IssuedCertificate result = issued.get().get(10, TimeUnit.SECONDS);
        assertThat(result.caGeneration()).isEqualTo(2);
        result.certificate().verify(key.publicKey());
        long fromGeneration1 = bench.db.store().read(d -> d.issuedCertificates().outstanding("agents-ca", 1, NOW));
        assertThat(fromGeneration1).isZero();
    }

    @Test
    void rotatingAnUnknownCaIsNotFoundAndTheViewShowsEveryField() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("agents-ca", KeySpec.EC_P256, "CN=Agents CA,O=Rotakey");
        CertificateAuthorities authorities = bench.authorities();
        issue(authorities, "agents-ca", "cred-1", Duration.ofDays(1));

        assertThatThrownBy(() -> authorities.rotate("nope", "admin"))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.kind()).isEqualTo(RejectedException.Kind.NOT_FOUND));
        assertThatThrownBy(() -> authorities.crlDer("agents-ca", Optional.of(7)))
                .isInstanceOfSatisfying(RejectedException.class, e -> assertThat(e.kind()).isEqualTo(RejectedException.Kind.NOT_FOUND));
        CaSnapshot view = authorities.snapshot("agents-ca");
        assertThat(view.name()).isEqualTo("agents-ca");
        assertThat(view.trustDomain()).isEqualTo("example.org");
        assertThat(view.backend()).isEqualTo("hsm");
        assertThat(view.keySpec()).isEqualTo("EC_P256");
        assertThat(view.parent()).isNull();
        CaSnapshot.Generation g = view.generations().get(0);
        assertThat(g.generation()).isEqualTo(1);
        assertThat(g.state()).isEqualTo(GenerationState.ACTIVE);
        assertThat(g.subject()).isEqualTo("CN=Agents CA,O=Rotakey");
        assertThat(g.serial()).matches("[0-9a-f]{17}");
        assertThat(g.notBefore()).isEqualTo(NOW.minus(RootCertificateBuilder.BACKDATE));
        assertThat(g.notAfter()).isEqualTo(NOW.plus(Duration.ofDays(365)));
        assertThat(g.outstandingCertificates()).isEqualTo(1);
        assertThat(g.crlNumber()).isPositive();
        assertThat(g.crlNextUpdate()).isEqualTo(NOW.plus(Duration.ofDays(1)));
    }

    @Test
    void theHealthProblemsNameTheCa() throws Exception {
        bench = new CaBench(Engine.H2, dir, NOW);
        bench.ca("short-ca", KeySpec.EC_P256, "CN=Short CA").setValidity(Duration.ofDays(20));
        bench.ca("fine-ca", KeySpec.EC_P256, "CN=Fine CA");
        bench.ca("offline-ca", KeySpec.EC_P256, "CN=Offline CA").setBackend("offline");
        // Built but never started: offline.
        KeyBackend offline = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("offline");
        CertificateAuthorities authorities = new CertificateAuthorities(bench.configs,
                new KeyBackends(Map.of("hsm", bench.backend, "offline", offline)), bench.db.store(), bench.audit(), bench.clock);
        authorities.start();

        List<String> problems = authorities.problems();
        assertThat(problems).hasSize(2);
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("short-ca:").contains("expires"));
        assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("offline-ca:").contains("not initialised"));
        assertThat(problems).noneMatch(p -> p.contains("fine-ca"));
        assertThat(new dev.rotakey.health.CertificateAuthoritiesHealthCheck(authorities).execute().getMessage())
                .contains("short-ca").contains("offline-ca");
        offline.close();
    }
}
