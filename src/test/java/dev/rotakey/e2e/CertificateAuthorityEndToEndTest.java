package dev.rotakey.e2e;

import dev.rotakey.testing.SoftHsmTokens;
import io.dropwizard.testing.ConfigOverride;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The default config's {@code agents-ca} through the real daemon: its chain is public PEM, the same
 * certificate after a restart, an unknown CA is a JSON 404, and a CA naming a missing backend stops start-up.
 */
class CertificateAuthorityEndToEndTest {
    @TempDir
    Path dir;

    RunningDaemon daemon;
    String scheduler;

    String databaseUrl() {
        return "jdbc:h2:file:" + dir.resolve("db/rotakey") + ";LOCK_TIMEOUT=10000";
    }

    @BeforeEach
    void start() {
        scheduler = RunningDaemon.uniqueName("ca");
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler);
    }

    @AfterEach
    void stop() {
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
        daemon = new RunningDaemon(dir.resolve("data"), databaseUrl(), SoftHsmTokens.APP, scheduler);
        HttpResponse<String> again = chain("agents-ca");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
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
        assertThatThrownBy(() -> new RunningDaemon(dir.resolve("other"), "jdbc:h2:file:" + dir.resolve("db/other"),
                SoftHsmTokens.APP, RunningDaemon.uniqueName("ca"),
                ConfigOverride.config("certificateAuthorities.agents-ca.backend", "vault")))
                .hasStackTraceContaining("certificateAuthorities.agents-ca.backend")
                .hasStackTraceContaining("vault");
    }
}
