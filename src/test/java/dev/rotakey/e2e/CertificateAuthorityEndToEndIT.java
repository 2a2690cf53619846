package dev.rotakey.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The default config's {@code agents-ca} through the real daemon: its chain, JSON view and CRL are
 * public, the chain is the same after a restart, the rotate-ca task publishes a new generation, an
 * unknown CA is a JSON 404, and a CA naming a missing backend stops start-up.
 *
 * <p>One daemon serves the class; the rotate-ca test runs last, because the others read the CA's first
 * generation as a fresh daemon has it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CertificateAuthorityEndToEndIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static RunningDaemon daemon;
    static String scheduler;

    static String databaseUrl() {
        return "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000";
    }

    @BeforeAll
    static void start() {
        scheduler = RunningDaemon.uniqueName("ca");
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler);
    }

    @AfterAll
    static void stop() {
        if (daemon != null) {
            daemon.destroyCertificateAuthorityKeys();
            daemon.close();
        }
    }

    /** Without a bearer token: the chain is public. */
    private HttpResponse<String> chain(String ca) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(daemon.app("/api/v1/cas/" + ca + "/chain")).GET().build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theChainIsPublicPemAndSurvivesARestart() throws Exception {
        HttpResponse<String> first = chain("agents-ca");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/x-pem-file"));
        assertThat(first.body()).startsWith("-----BEGIN CERTIFICATE-----").contains("-----END CERTIFICATE-----");

        X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(first.body().getBytes(StandardCharsets.US_ASCII)));
        ca.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=Rotakey Agents CA,O=Rotakey");

        daemon.close();
        daemon = null;
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler);
        HttpResponse<String> again = chain("agents-ca");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
    }

    private HttpResponse<byte[]> publicGet(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(daemon.app(path)).GET().build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static X509CRL crl(byte[] der) throws Exception {
        return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    }

    private static String json(HttpResponse<byte[]> r) {
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void theCaViewAndItsCrlArePublicAndTheCrlVerifiesWithTheChain() throws Exception {
        HttpResponse<byte[]> view = publicGet("/api/v1/cas/agents-ca");
        assertThat(view.statusCode()).isEqualTo(200);
        JsonNode ca = JSON.readTree(json(view));
        assertThat(ca.get("name").asText()).isEqualTo("agents-ca");
        assertThat(ca.get("trustDomain").asText()).isEqualTo("rotakey.local");
        assertThat(ca.get("backend").asText()).isEqualTo("hsm");
        assertThat(ca.get("keySpec").asText()).isEqualTo("EC_P256");
        JsonNode generation = ca.get("generations").get(0);
        assertThat(generation.get("generation").asInt()).isEqualTo(1);
        assertThat(generation.get("state").asText()).isEqualTo("ACTIVE");
        assertThat(generation.get("subject").asText()).isEqualTo("CN=Rotakey Agents CA,O=Rotakey");
        assertThat(generation.get("outstandingCertificates").asLong()).isZero();
        assertThat(generation.get("crlNumber").asLong()).isPositive();
        assertThat(Instant.parse(generation.get("crlNextUpdate").asText())).isAfter(Instant.now());

        HttpResponse<byte[]> crl = publicGet("/api/v1/cas/agents-ca/crl");
        assertThat(crl.statusCode()).isEqualTo(200);
        assertThat(crl.headers().firstValue("Content-Type")).hasValue("application/pkix-crl");
        X509CRL parsed = crl(crl.body());
        X509Certificate root = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(chain("agents-ca").body().getBytes(StandardCharsets.US_ASCII)));
        parsed.verify(root.getPublicKey());
        assertThat(parsed.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
        assertThat(parsed.getRevokedCertificates()).isNull();
        assertThat(publicGet("/api/v1/cas/agents-ca/crl?generation=1").body()).isEqualTo(crl.body());

        HttpResponse<byte[]> unknownGeneration = publicGet("/api/v1/cas/agents-ca/crl?generation=9");
        assertThat(unknownGeneration.statusCode()).isEqualTo(404);
        assertThat(json(unknownGeneration)).contains("9");
        HttpResponse<byte[]> badGeneration = publicGet("/api/v1/cas/agents-ca/crl?generation=latest");
        assertThat(badGeneration.statusCode()).isEqualTo(400);
        assertThat(json(badGeneration)).contains("generation");
        HttpResponse<byte[]> unknownCa = publicGet("/api/v1/cas/no-such-ca");
        assertThat(unknownCa.statusCode()).isEqualTo(404);
        assertThat(json(unknownCa)).contains("no-such-ca");
        HttpResponse<byte[]> unknownCrl = publicGet("/api/v1/cas/no-such-ca/crl");
        assertThat(unknownCrl.statusCode()).isEqualTo(404);
        assertThat(json(unknownCrl)).contains("no-such-ca");
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void theRotateCaTaskPublishesANewGenerationBesideTheOld() throws Exception {
        String before = chain("agents-ca").body();
        assertThat(daemon.send(HttpRequest.newBuilder(daemon.admin("/tasks/rotate-ca?ca=agents-ca"))
                .POST(HttpRequest.BodyPublishers.noBody()), null).status()).isEqualTo(401);

        RunningDaemon.Answer rotated = daemon.task("/tasks/rotate-ca?ca=agents-ca");

        assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
        JsonNode generations = rotated.json().get("generations");
        assertThat(generations).hasSize(2);
        assertThat(generations.get(0).get("generation").asInt()).isEqualTo(2);
        assertThat(generations.get(0).get("state").asText()).isEqualTo("ACTIVE");
        assertThat(generations.get(1).get("state").asText()).isEqualTo("RETIRING");
        String after = chain("agents-ca").body();
        assertThat(after).endsWith(before).isNotEqualTo(before);
        X509Certificate newest = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(after.getBytes(StandardCharsets.US_ASCII)));
        crl(publicGet("/api/v1/cas/agents-ca/crl").body()).verify(newest.getPublicKey());
        assertThat(newest.getSerialNumber().toString(16)).isEqualTo(generations.get(0).get("serial").asText());

        RunningDaemon.Answer unknown = daemon.task("/tasks/rotate-ca?ca=no-such-ca");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("message").asText()).contains("no-such-ca");
        RunningDaemon.Answer missing = daemon.task("/tasks/rotate-ca");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("message").asText()).contains("ca");
        RunningDaemon.Answer health = daemon.adminGet("/healthcheck");
        assertThat(health.json().get("certificate-authorities").get("healthy").asBoolean()).as(health.body()).isTrue();
    }

    @Test
    void anUnknownCaIsAJsonNotFound() throws Exception {
        HttpResponse<String> r = chain("no-such-ca");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        assertThat(r.body()).contains("no-such-ca");
    }

    @Test
    void aCaNamingAMissingBackendStopsStartUpNamingTheKey() {
        assertThatThrownBy(() -> new RunningDaemon(dir.resolve("other-backend"), "jdbc:h2:file:" + dir.resolve("db/other-backend"),
                SoftHsmTokens.APP, RunningDaemon.uniqueName("ca"),
                ConfigOverride.config("certificateAuthorities.agents-ca.backend", "vault")))
                .hasStackTraceContaining("certificateAuthorities.agents-ca.backend")
                .hasStackTraceContaining("vault");
    }

    @Test
    void aCaNamingAnUnknownParentStopsStartUpNamingTheKey() {
        assertThatThrownBy(() -> new RunningDaemon(dir.resolve("other-parent"), "jdbc:h2:file:" + dir.resolve("db/other-parent"),
                SoftHsmTokens.APP, RunningDaemon.uniqueName("ca"),
                ConfigOverride.config("certificateAuthorities.agents-ca.parent", "root-ca")))
                .hasStackTraceContaining("certificateAuthorities.agents-ca.parent")
                .hasStackTraceContaining("root-ca");
    }
}
